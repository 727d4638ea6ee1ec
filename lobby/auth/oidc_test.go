package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// fakeOIDC is a local OpenID Connect issuer: a discovery document and a
// JWKS holding its current keys; down makes every answer a 503.
type fakeOIDC struct {
	t   *testing.T
	srv *httptest.Server

	mu   sync.Mutex
	keys map[string]*rsa.PrivateKey // kid -> key, published
	down bool
}

func newFakeOIDC(t *testing.T) *fakeOIDC {
	f := &fakeOIDC{t: t, keys: map[string]*rsa.PrivateKey{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeOIDC) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/.well-known/openid-configuration":
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": f.srv.URL, "jwks_uri": f.srv.URL + "/keys",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	case "/keys":
		var set jose.JSONWebKeySet
		for kid, k := range f.keys {
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"})
		}
		json.NewEncoder(w).Encode(set)
	default:
		http.NotFound(w, r)
	}
}

func newRSA(t *testing.T) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// publish replaces the published keys (a rotation).
func (f *fakeOIDC) publish(keys map[string]*rsa.PrivateKey) {
	f.mu.Lock()
	f.keys = keys
	f.mu.Unlock()
}

func (f *fakeOIDC) setDown(down bool) {
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
}

// signID returns an RS256 JWT of claims under key with key id kid.
func signID(t *testing.T, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestOIDCProvider runs the ID-token verifier against a local issuer: a
// valid token (either client id), refusals, key rotation and outages.
func TestOIDCProvider(t *testing.T) {
	f := newFakeOIDC(t)
	k1, k2, stranger := newRSA(t), newRSA(t), newRSA(t)
	f.publish(map[string]*rsa.PrivateKey{"k1": k1})
	f.setDown(true) // down at start-up: construction must not care
	p, err := NewOIDC(context.Background(), OIDCConfig{Name: ProviderGoogle, Issuer: f.srv.URL, ClientIDs: []string{"web-app", "android-app"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	claims := func(mod func(map[string]any)) map[string]any {
		c := map[string]any{"iss": f.srv.URL, "sub": "1234567890", "aud": "android-app", "name": "Ada", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}
		if mod != nil {
			mod(c)
		}
		return c
	}
	good := signID(t, k1, "k1", claims(nil))
	if _, err := p.Verify(ctx, good); !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrBadCredential) {
		t.Fatalf("discovery down: %v, want ErrUnavailable only", err)
	}
	f.setDown(false) // discovery is retried
	id, err := p.Verify(ctx, good)
	if err != nil || id.Subject != "1234567890" || id.DisplayName != "Ada" {
		t.Fatalf("valid token: %+v, %v", id, err)
	}
	if id, err := p.Verify(ctx, signID(t, k1, "k1", claims(func(c map[string]any) { c["aud"] = []string{"other", "web-app"}; delete(c, "name") }))); err != nil || id.Subject != "1234567890" || id.DisplayName != "" {
		t.Fatalf("second client id, no name: %+v, %v", id, err)
	}
	for _, c := range []struct{ what, token string }{
		{"wrong audience", signID(t, k1, "k1", claims(func(c map[string]any) { c["aud"] = "someone-else" }))},
		{"wrong issuer", signID(t, k1, "k1", claims(func(c map[string]any) { c["iss"] = "https://evil.example" }))},
		{"expired", signID(t, k1, "k1", claims(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }))},
		{"no subject", signID(t, k1, "k1", claims(func(c map[string]any) { delete(c, "sub") }))},
		{"bad signature", signID(t, stranger, "k1", claims(nil))},
		{"unknown kid", signID(t, stranger, "k9", claims(nil))},
		{"not a jwt", "garbage"},
		{"empty", ""},
	} {
		if _, err := p.Verify(ctx, c.token); !errors.Is(err, ErrBadCredential) || errors.Is(err, ErrUnavailable) {
			t.Errorf("%s: %v, want ErrBadCredential only", c.what, err)
		}
	}

	// Rotation: the issuer now signs with k2 and has dropped k1; a token
	// under the new kid makes the verifier fetch the keys again.
	f.publish(map[string]*rsa.PrivateKey{"k2": k2})
	if id, err := p.Verify(ctx, signID(t, k2, "k2", claims(nil))); err != nil || id.Subject != "1234567890" {
		t.Fatalf("token under the rotated key: %+v, %v", id, err)
	}

	// Outage: a new kid needs a key fetch, and the issuer is down.
	f.setDown(true)
	_, err = p.Verify(ctx, signID(t, k1, "k3", claims(nil)))
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrBadCredential) {
		t.Errorf("JWKS 503: %v, want ErrUnavailable only", err)
	}
	f.srv.Close()
	_, err = p.Verify(ctx, signID(t, k1, "k4", claims(nil)))
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrBadCredential) {
		t.Errorf("issuer unreachable: %v, want ErrUnavailable only", err)
	}
	// Cached keys still verify while the issuer is unreachable.
	if _, err := p.Verify(ctx, signID(t, k2, "k2", claims(nil))); err != nil {
		t.Errorf("cached key while down: %v", err)
	}
}

// TestNewOIDCConfig: construction refuses incomplete configurations.
func TestNewOIDCConfig(t *testing.T) {
	for _, c := range []OIDCConfig{
		{Issuer: GoogleIssuer, ClientIDs: []string{"a"}},
		{Name: ProviderGoogle, Issuer: "accounts.google.com", ClientIDs: []string{"a"}},
		{Name: ProviderGoogle, Issuer: GoogleIssuer, ClientIDs: []string{" "}},
	} {
		if _, err := NewOIDC(context.Background(), c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
