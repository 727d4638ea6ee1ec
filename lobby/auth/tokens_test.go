package auth

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var (
	key = bytes.Repeat([]byte("k"), 32)
	now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
)

func newTokens(t *testing.T) *Tokens {
	t.Helper()
	tok, err := NewTokens(Config{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func sign(t *testing.T, m jwt.SigningMethod, k any, c jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func claims(mod func(*accessClaims)) accessClaims {
	c := accessClaims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer: "pantheon-lobby", Subject: "p1", Audience: jwt.ClaimStrings{"pantheon"},
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)),
	}, SessionID: "s1"}
	if mod != nil {
		mod(&c)
	}
	return c
}

func TestAccessRoundTrip(t *testing.T) {
	tok := newTokens(t)
	s, exp, err := tok.IssueAccess("p1", "s1", now)
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(now.Add(15 * time.Minute)) {
		t.Fatalf("exp %v", exp)
	}
	c, err := tok.VerifyAccess(s, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if c.PlayerID != "p1" || c.SessionID != "s1" || !c.ExpiresAt.Equal(exp) {
		t.Fatalf("claims %+v", c)
	}
	// The issue time survives to the microsecond.
	at := now.Add(1234567 * time.Microsecond)
	s, _, err = tok.IssueAccess("p1", "s1", at)
	if err != nil {
		t.Fatal(err)
	}
	c, err = tok.VerifyAccess(s, at)
	if err != nil || !c.IssuedAt.Equal(at) {
		t.Fatalf("issued at %v (%v), want %v", c.IssuedAt, err, at)
	}
	// A token with only the standard iat reads it to the second.
	c, err = tok.VerifyAccess(sign(t, jwt.SigningMethodHS256, key, claims(nil)), now)
	if err != nil || !c.IssuedAt.Equal(now) {
		t.Fatalf("iat-only token issued at %v (%v)", c.IssuedAt, err)
	}
}

func TestAccessRefused(t *testing.T) {
	tok := newTokens(t)
	good := sign(t, jwt.SigningMethodHS256, key, claims(nil))
	if _, err := tok.VerifyAccess(good, now); err != nil {
		t.Fatalf("control token refused: %v", err)
	}
	none := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil))
	hs512 := sign(t, jwt.SigningMethodHS512, key, claims(nil))
	parts := strings.Split(good, ".")
	for name, c := range map[string]struct {
		token string
		at    time.Time
		want  error
	}{
		"alg none":        {none, now, ErrInvalidToken},
		"alg HS512":       {hs512, now, ErrInvalidToken},
		"wrong key":       {sign(t, jwt.SigningMethodHS256, bytes.Repeat([]byte("x"), 32), claims(nil)), now, ErrInvalidToken},
		"expired":         {good, now.Add(2 * time.Minute), ErrExpired},
		"wrong audience":  {sign(t, jwt.SigningMethodHS256, key, claims(func(c *accessClaims) { c.Audience = jwt.ClaimStrings{"other"} })), now, ErrInvalidToken},
		"wrong issuer":    {sign(t, jwt.SigningMethodHS256, key, claims(func(c *accessClaims) { c.Issuer = "evil" })), now, ErrInvalidToken},
		"no expiry":       {sign(t, jwt.SigningMethodHS256, key, claims(func(c *accessClaims) { c.ExpiresAt = nil })), now, ErrInvalidToken},
		"no session":      {sign(t, jwt.SigningMethodHS256, key, claims(func(c *accessClaims) { c.SessionID = "" })), now, ErrInvalidToken},
		"issued later":    {sign(t, jwt.SigningMethodHS256, key, claims(func(c *accessClaims) { c.IssuedAt = jwt.NewNumericDate(now.Add(time.Hour)) })), now, ErrInvalidToken},
		"tampered body":   {parts[0] + "." + parts[1] + "x." + parts[2], now, ErrInvalidToken},
		"garbage":         {"not-a-jwt", now, ErrInvalidToken},
		"oversized token": {good + strings.Repeat("A", 4096), now, ErrTooLarge},
	} {
		if _, err := tok.VerifyAccess(c.token, c.at); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{Key: []byte("short")}).Validate(); err == nil {
		t.Fatal("a 5-byte key was accepted")
	}
	if err := (Config{Key: key, AccessTTL: time.Millisecond}).Validate(); err == nil {
		t.Fatal("a 1 ms access TTL was accepted")
	}
}

func TestRefreshTokens(t *testing.T) {
	tok, hash, err := NewRefresh("s_abc")
	if err != nil {
		t.Fatal(err)
	}
	fam, h2, err := ParseRefresh(tok)
	if err != nil || fam != "s_abc" || !bytes.Equal(hash, h2) {
		t.Fatalf("parse %q: %q %x %v", tok, fam, h2, err)
	}
	other, _, _ := NewRefresh("s_abc")
	if _, h3, _ := ParseRefresh(other); bytes.Equal(h3, hash) {
		t.Fatal("two refresh tokens share a hash")
	}
	for _, bad := range []string{"", "nodot", ".secret", "s_abc.short", "s_abc." + strings.Repeat("*", 43)} {
		if _, _, err := ParseRefresh(bad); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("ParseRefresh(%q) = %v", bad, err)
		}
	}
}

func TestDevProvider(t *testing.T) {
	d := DevProvider{Secret: []byte("dev-secret")}
	id, err := d.Verify(context.Background(), d.Credential("alice"))
	if err != nil || id.Subject != "alice" {
		t.Fatalf("own credential: %+v %v", id, err)
	}
	forged := DevProvider{Secret: []byte("other")}.Credential("alice")
	for _, bad := range []string{forged, "alice", "alice.zz", ".00"} {
		if _, err := d.Verify(context.Background(), bad); !errors.Is(err, ErrBadCredential) {
			t.Errorf("Verify(%q) = %v", bad, err)
		}
	}
}

func TestConsent(t *testing.T) {
	tok := newTokens(t)
	s, exp, err := tok.IssueConsent(Consent{Member: "p2", Leader: "p1", Mode: "battle_3v3", OracleID: "o"}, now, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c, err := tok.VerifyConsent(s, now)
	if err != nil || c.Member != "p2" || c.Leader != "p1" || c.Mode != "battle_3v3" || c.OracleID != "o" || !c.ExpiresAt.Equal(exp) {
		t.Fatalf("consent %+v %v", c, err)
	}
	if _, err := tok.VerifyConsent(s, now.Add(2*time.Minute)); !errors.Is(err, ErrExpired) {
		t.Fatalf("expired consent: %v", err)
	}
	// Consents and access tokens never verify as each other.
	if _, err := tok.VerifyAccess(s, now); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("consent accepted as an access token: %v", err)
	}
	access, _, _ := tok.IssueAccess("p1", "s1", now)
	if _, err := tok.VerifyConsent(access, now); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("access token accepted as a consent: %v", err)
	}
}
