package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// partyAudience keeps consents and access tokens apart: neither verifies
// as the other.
const partyAudience = "pantheon-party"

// Consent is a player's signed agreement to queue in a leader's party, for
// one mode, with one of their oracles.
type Consent struct {
	Member    string
	Leader    string
	Mode      string
	OracleID  string
	ExpiresAt time.Time
}

type consentClaims struct {
	jwt.RegisteredClaims
	Leader   string `json:"leader"`
	Mode     string `json:"mode"`
	OracleID string `json:"oracle"`
}

// IssueConsent signs c (its ExpiresAt is set to now+ttl). The leader passes
// the token with its ticket; the lobby needs no party state.
func (t *Tokens) IssueConsent(c Consent, now time.Time, ttl time.Duration) (string, time.Time, error) {
	exp := now.Add(ttl)
	claims := consentClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: t.cfg.Issuer, Subject: c.Member, Audience: jwt.ClaimStrings{partyAudience},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp),
		},
		Leader: c.Leader, Mode: c.Mode, OracleID: c.OracleID,
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(t.cfg.Key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign consent: %w", err)
	}
	return s, exp, nil
}

// VerifyConsent checks a consent token at now with the same rules as access
// tokens (HS256 only, issuer, party audience, expiry required).
func (t *Tokens) VerifyConsent(token string, now time.Time) (Consent, error) {
	if len(token) > t.cfg.MaxTokenBytes {
		return Consent{}, fmt.Errorf("consent of %d bytes: %w", len(token), ErrTooLarge)
	}
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(t.cfg.Issuer),
		jwt.WithAudience(partyAudience),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(t.cfg.Leeway),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	var c consentClaims
	_, err := p.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.cfg.Key, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Consent{}, fmt.Errorf("consent: %w", ErrExpired)
	case err != nil:
		return Consent{}, fmt.Errorf("consent: %w (%v)", ErrInvalidToken, err)
	case c.Subject == "" || c.Leader == "" || c.Mode == "" || c.OracleID == "":
		return Consent{}, fmt.Errorf("consent with empty fields: %w", ErrInvalidToken)
	}
	return Consent{Member: c.Subject, Leader: c.Leader, Mode: c.Mode, OracleID: c.OracleID, ExpiresAt: c.ExpiresAt.Time}, nil
}
