package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Platform provider names. "device" is the guest login and is not a
// Provider: its subject is the device id itself.
const (
	ProviderDevice  = "device"
	ProviderDiscord = "discord"
	ProviderSteam   = "steam"
	ProviderApple   = "apple"
	ProviderGoogle  = "google"
	ProviderGPT     = "gpt"
	ProviderDev     = "dev"
)

// ErrBadCredential: a provider refused the credential.
var ErrBadCredential = errors.New("auth: credential refused by provider")

// Identity is what a provider vouches for.
type Identity struct {
	Subject     string // the platform's stable user id
	DisplayName string // may be empty
}

// Provider verifies a platform credential (an OAuth code or ID token, a
// Steam session ticket, ...) and returns the identity it proves. A real
// provider calls its platform; failures to reach it must not be reported as
// ErrBadCredential.
type Provider interface {
	// Name is the provider name stored with linked identities.
	Name() string
	// Verify checks credential and returns the identity it proves, or an
	// error wrapping ErrBadCredential.
	Verify(ctx context.Context, credential string) (Identity, error)
}

// DevProvider is a development and test provider: a credential is
// "<subject>.<hex HMAC-SHA256 of subject under Secret>", so a test (or a
// developer's tool holding the secret) can mint identities without a
// platform. Never enable it in production.
type DevProvider struct {
	// Secret keys the HMAC. Required.
	Secret []byte
}

// Name implements Provider.
func (DevProvider) Name() string { return ProviderDev }

// Verify implements Provider.
func (d DevProvider) Verify(_ context.Context, credential string) (Identity, error) {
	subject, mac, ok := strings.Cut(credential, ".")
	if !ok || subject == "" || len(subject) > 128 || len(d.Secret) == 0 {
		return Identity{}, fmt.Errorf("dev provider: %w", ErrBadCredential)
	}
	want, err := hex.DecodeString(mac)
	if err != nil || !hmac.Equal(want, d.mac(subject)) {
		return Identity{}, fmt.Errorf("dev provider: %w", ErrBadCredential)
	}
	return Identity{Subject: subject, DisplayName: subject}, nil
}

func (d DevProvider) mac(subject string) []byte {
	h := hmac.New(sha256.New, d.Secret)
	h.Write([]byte(subject))
	return h.Sum(nil)
}

// Credential mints the credential Verify accepts for subject.
func (d DevProvider) Credential(subject string) string {
	return subject + "." + hex.EncodeToString(d.mac(subject))
}

// ErrUnavailable: a provider's platform could not be reached or answered
// with a server error; the credential may be good, so retry later. It is
// never reported for a refused credential (ErrBadCredential).
var ErrUnavailable = errors.New("auth: identity provider unavailable")
