package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Issuers of the OpenID Connect platforms the lobby knows.
const (
	GoogleIssuer = "https://accounts.google.com"
	AppleIssuer  = "https://appleid.apple.com"
)

// OIDCConfig configures an OIDCProvider.
type OIDCConfig struct {
	// Name is the provider name (ProviderGoogle, ProviderApple, ...).
	// Required.
	Name string
	// Issuer is the issuer URL; discovery reads
	// {Issuer}/.well-known/openid-configuration. Required.
	Issuer string
	// ClientIDs are the accepted audiences (one per app: web, Android,
	// iOS, ...); a token is accepted when its aud holds any of them.
	// At least one is required.
	ClientIDs []string
	// Timeout bounds each call to the platform (discovery, key fetch).
	// Default 5 s.
	Timeout time.Duration
	// HTTPClient makes the calls (nil: a client with Timeout). Its
	// transport is wrapped, not changed.
	HTTPClient *http.Client
}

// OIDCProvider verifies OpenID Connect ID tokens (Sign in with Google,
// Sign in with Apple): signature against the issuer's JWKS, issuer, expiry
// and audience. The subject is the sub claim, the display name the name
// claim where present (Apple sends none).
//
// Discovery is lazy: NewOIDC makes no call, the first Verify discovers the
// issuer's metadata, and a failed discovery is retried at the next Verify
// (concurrent Verify calls share one attempt), so a lobby starts while the
// platform is down and answers ErrUnavailable until it is back. Keys are
// cached; a token under an unknown key id makes go-oidc fetch the JWKS
// again, which is how key rotation is followed.
//
// A failure to reach the platform (network error, 5xx or 429 answer,
// timeout) is ErrUnavailable; anything else wrong with the token is
// ErrBadCredential. It is safe for concurrent use.
type OIDCProvider struct {
	cfg    OIDCConfig
	client *http.Client
	base   context.Context // values only: go-oidc's HTTP client

	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier
	inflight chan struct{} // closed when the current discovery ends
	lastErr  error         // the last discovery's error
}

// NewOIDC returns an OIDCProvider for cfg, or an error naming what is
// missing or malformed. It makes no network call (see OIDCProvider);
// ctx is kept only for its values, never for cancellation.
func NewOIDC(ctx context.Context, cfg OIDCConfig) (*OIDCProvider, error) {
	if cfg.Name == "" {
		return nil, errors.New("auth: oidc provider needs a name")
	}
	if u, err := url.Parse(cfg.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("auth: %s issuer %q is not an http(s) URL", cfg.Name, cfg.Issuer)
	}
	cfg.ClientIDs = slices.DeleteFunc(slices.Clone(cfg.ClientIDs), func(s string) bool { return strings.TrimSpace(s) == "" })
	if len(cfg.ClientIDs) == 0 {
		return nil, fmt.Errorf("auth: %s needs at least one client id", cfg.Name)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	c := http.Client{Timeout: cfg.Timeout}
	if cfg.HTTPClient != nil {
		c = *cfg.HTTPClient
	}
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = outageTransport{base}
	p := &OIDCProvider{cfg: cfg, client: &c}
	p.base = oidc.ClientContext(context.WithoutCancel(ctx), p.client)
	return p, nil
}

// Name implements Provider.
func (p *OIDCProvider) Name() string { return p.cfg.Name }

// errOutage marks an answer of the platform that is an outage (5xx, 429):
// outageTransport turns such a response into this error so that it
// survives go-oidc's wrapping as far as the key set.
type errOutage struct{ status string }

func (e errOutage) Error() string { return "platform answered " + e.status }

// outageTransport reports 5xx and 429 answers as errOutage.
type outageTransport struct{ base http.RoundTripper }

func (t outageTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err == nil && (resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests) {
		resp.Body.Close()
		return nil, errOutage{resp.Status}
	}
	return resp, err
}

// fetchFailed reports whether err comes from failing to reach the platform
// (rather than from what it answered).
func fetchFailed(err error) bool {
	var ue *url.Error
	var eo errOutage
	return errors.As(err, &ue) || errors.As(err, &eo) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// verifyState is one verification's record of a key-fetch failure, kept in
// its context: go-oidc formats the key set's error with %v, losing it.
type verifyState struct{ fetchErr error }

type verifyStateKey struct{}

// recordingKeySet records, in the verification's verifyState, that the key
// set could not be fetched.
type recordingKeySet struct{ keys oidc.KeySet }

func (k recordingKeySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := k.keys.VerifySignature(ctx, jwt)
	if err != nil && fetchFailed(err) {
		if st, ok := ctx.Value(verifyStateKey{}).(*verifyState); ok {
			st.fetchErr = err
		}
	}
	return payload, err
}

// discovery is the part of the discovery document used.
type discovery struct {
	JWKSURL string   `json:"jwks_uri"`
	Algs    []string `json:"id_token_signing_alg_values_supported"`
}

// asymmetric are the signing algorithms accepted (never HS*, never none).
var asymmetric = []string{oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384, oidc.ES512, oidc.PS256, oidc.PS384, oidc.PS512, oidc.EdDSA}

// ready returns the verifier, discovering the issuer first if need be.
func (p *OIDCProvider) ready(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	p.mu.Lock()
	if p.verifier != nil {
		v := p.verifier
		p.mu.Unlock()
		return v, nil
	}
	if p.inflight == nil {
		p.inflight = make(chan struct{})
		go p.discover(p.inflight)
	}
	done := p.inflight
	p.mu.Unlock()
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: discovery: %w: %v", p.cfg.Name, ErrUnavailable, ctx.Err())
	case <-done:
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.verifier != nil {
		return p.verifier, nil
	}
	return nil, fmt.Errorf("%s: discovery: %w: %v", p.cfg.Name, ErrUnavailable, p.lastErr)
}

// discover runs one discovery (bounded by the client's timeout, not by any
// caller) and closes done.
func (p *OIDCProvider) discover(done chan struct{}) {
	var v *oidc.IDTokenVerifier
	op, err := oidc.NewProvider(p.base, p.cfg.Issuer)
	var d discovery
	if err == nil {
		err = op.Claims(&d)
	}
	if err == nil && d.JWKSURL == "" {
		err = errors.New("discovery document without jwks_uri")
	}
	if err == nil {
		algs := slices.DeleteFunc(d.Algs, func(a string) bool { return !slices.Contains(asymmetric, a) })
		if len(algs) == 0 {
			algs = []string{oidc.RS256}
		}
		keys := recordingKeySet{oidc.NewRemoteKeySet(p.base, d.JWKSURL)}
		v = oidc.NewVerifier(p.cfg.Issuer, keys, &oidc.Config{SkipClientIDCheck: true, SupportedSigningAlgs: algs})
	}
	p.mu.Lock()
	p.verifier, p.lastErr, p.inflight = v, err, nil
	p.mu.Unlock()
	close(done)
}

// Verify implements Provider: credential is the raw ID token (a JWT).
func (p *OIDCProvider) Verify(ctx context.Context, credential string) (Identity, error) {
	if credential == "" || len(credential) > 16<<10 {
		return Identity{}, fmt.Errorf("%s: empty or oversized id token: %w", p.cfg.Name, ErrBadCredential)
	}
	v, err := p.ready(ctx)
	if err != nil {
		return Identity{}, err
	}
	st := &verifyState{}
	tok, err := v.Verify(context.WithValue(ctx, verifyStateKey{}, st), credential)
	if err != nil {
		if st.fetchErr != nil {
			return Identity{}, fmt.Errorf("%s: fetching keys: %w: %v", p.cfg.Name, ErrUnavailable, st.fetchErr)
		}
		return Identity{}, fmt.Errorf("%s: id token refused (%v): %w", p.cfg.Name, err, ErrBadCredential)
	}
	if !slices.ContainsFunc(tok.Audience, func(a string) bool { return slices.Contains(p.cfg.ClientIDs, a) }) {
		return Identity{}, fmt.Errorf("%s: id token for audience %q, not this game's: %w", p.cfg.Name, tok.Audience, ErrBadCredential)
	}
	if tok.Subject == "" {
		return Identity{}, fmt.Errorf("%s: id token without a subject: %w", p.cfg.Name, ErrBadCredential)
	}
	var claims struct {
		Name string `json:"name"`
	}
	if err := tok.Claims(&claims); err != nil {
		return Identity{}, fmt.Errorf("%s: id token claims: %v: %w", p.cfg.Name, err, ErrBadCredential)
	}
	return Identity{Subject: tok.Subject, DisplayName: claims.Name}, nil
}
