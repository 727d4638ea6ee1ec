package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Sentinel errors; compare with errors.Is.
var (
	// ErrInvalidToken: the token is malformed, badly signed, uses another
	// algorithm, or names another issuer or audience.
	ErrInvalidToken = errors.New("auth: invalid token")
	// ErrExpired: the token's lifetime is over.
	ErrExpired = errors.New("auth: token expired")
	// ErrTooLarge: the token is longer than Config.MaxTokenBytes.
	ErrTooLarge = errors.New("auth: token too large")
)

// Config configures Tokens.
type Config struct {
	// Key signs and verifies access tokens (HS256). At least 32 bytes.
	// Required; every lobby replica must share it.
	Key []byte
	// Issuer is the iss claim written and required. Default "pantheon-lobby".
	Issuer string
	// Audience is the aud claim written and required. Default "pantheon".
	Audience string
	// AccessTTL is an access token's lifetime. Default 15 minutes.
	AccessTTL time.Duration
	// Leeway tolerates clock skew when checking exp, nbf and iat. Default 5 s.
	Leeway time.Duration
	// MaxTokenBytes refuses longer access tokens before parsing. Default 2048.
	MaxTokenBytes int
}

func (c Config) withDefaults() Config {
	if c.Issuer == "" {
		c.Issuer = "pantheon-lobby"
	}
	if c.Audience == "" {
		c.Audience = "pantheon"
	}
	if c.AccessTTL == 0 {
		c.AccessTTL = 15 * time.Minute
	}
	if c.Leeway == 0 {
		c.Leeway = 5 * time.Second
	}
	if c.MaxTokenBytes == 0 {
		c.MaxTokenBytes = 2048
	}
	return c
}

// Validate reports a config NewTokens refuses.
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case len(c.Key) < 32:
		return fmt.Errorf("auth: key of %d bytes, need at least 32", len(c.Key))
	case c.AccessTTL < time.Second:
		return errors.New("auth: access TTL under one second")
	case c.Leeway < 0 || c.MaxTokenBytes < 256:
		return errors.New("auth: negative leeway or max token bytes under 256")
	}
	return nil
}

// Claims are what a valid access token asserts.
type Claims struct {
	PlayerID  string
	SessionID string
	// IssuedAt is when the token was issued, to the microsecond for tokens
	// this package issues (the iat_us claim), else to the second (iat);
	// zero when the token carries neither. Logout everywhere revokes every
	// token issued at or before a cutoff.
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// Tokens issues and verifies access tokens. It is safe for concurrent use.
type Tokens struct {
	cfg Config
}

// accessClaims is the JWT body: registered claims plus the session id and
// the issue time in microseconds (iat has whole seconds only, too coarse to
// order a token against a logout in the same second).
type accessClaims struct {
	jwt.RegisteredClaims
	SessionID     string `json:"sid"`
	IssuedAtMicro int64  `json:"iat_us,omitempty"`
}

// NewTokens returns Tokens for cfg (after Validate).
func NewTokens(cfg Config) (*Tokens, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Tokens{cfg: cfg}, nil
}

// AccessTTL is the lifetime of the access tokens this issues.
func (t *Tokens) AccessTTL() time.Duration { return t.cfg.AccessTTL }

// Leeway is the clock skew tolerated when verifying.
func (t *Tokens) Leeway() time.Duration { return t.cfg.Leeway }

// IssueAccess signs an access token for player in session, valid from now
// for AccessTTL.
func (t *Tokens) IssueAccess(player, session string, now time.Time) (string, time.Time, error) {
	exp := now.Add(t.cfg.AccessTTL)
	c := accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.cfg.Issuer,
			Subject:   player,
			Audience:  jwt.ClaimStrings{t.cfg.Audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
		SessionID:     session,
		IssuedAtMicro: now.UnixMicro(),
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.cfg.Key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign access token: %w", err)
	}
	return s, exp, nil
}

// VerifyAccess checks an access token at now: size, HS256 only, signature,
// issuer, audience, expiry (required) and a subject and session present.
// It does not consult the revocation list; the caller does.
func (t *Tokens) VerifyAccess(token string, now time.Time) (Claims, error) {
	if len(token) > t.cfg.MaxTokenBytes {
		return Claims{}, fmt.Errorf("access token of %d bytes: %w", len(token), ErrTooLarge)
	}
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(t.cfg.Issuer),
		jwt.WithAudience(t.cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(t.cfg.Leeway),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	var c accessClaims
	_, err := p.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.cfg.Key, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Claims{}, fmt.Errorf("access token: %w", ErrExpired)
	case err != nil:
		return Claims{}, fmt.Errorf("access token: %w (%v)", ErrInvalidToken, err)
	case c.Subject == "" || c.SessionID == "":
		return Claims{}, fmt.Errorf("access token without subject or session: %w", ErrInvalidToken)
	}
	out := Claims{PlayerID: c.Subject, SessionID: c.SessionID, ExpiresAt: c.ExpiresAt.Time}
	switch {
	case c.IssuedAtMicro != 0:
		out.IssuedAt = time.UnixMicro(c.IssuedAtMicro)
	case c.IssuedAt != nil:
		out.IssuedAt = c.IssuedAt.Time
	}
	return out, nil
}

// NewRefresh returns a fresh refresh token for family and the SHA-256 hash
// of its secret, which is all the store keeps. The token is
// "<family>.<base64url secret>"; the family id must not contain '.'.
func NewRefresh(family string) (token string, hash []byte, err error) {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret) // crypto/rand.Read never fails (Go 1.24+)
	enc := base64.RawURLEncoding.EncodeToString(secret)
	sum := sha256.Sum256([]byte(enc))
	return family + "." + enc, sum[:], nil
}

// ParseRefresh splits a refresh token into its family id and the hash of
// its secret, or returns ErrInvalidToken when it is not of that shape.
func ParseRefresh(token string) (family string, hash []byte, err error) {
	family, secret, ok := strings.Cut(token, ".")
	if !ok || family == "" || len(secret) != 43 || len(token) > 256 {
		return "", nil, fmt.Errorf("refresh token: %w", ErrInvalidToken)
	}
	if _, err := base64.RawURLEncoding.DecodeString(secret); err != nil {
		return "", nil, fmt.Errorf("refresh token: %w", ErrInvalidToken)
	}
	sum := sha256.Sum256([]byte(secret))
	return family, sum[:], nil
}

// NewID returns a random id with the given prefix, e.g. "s_" + 26 base32
// characters (130 bits, crypto/rand.Text).
func NewID(prefix string) string { return prefix + rand.Text() }
