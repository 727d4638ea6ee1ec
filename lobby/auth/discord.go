package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// DiscordConfig configures DiscordProvider.
type DiscordConfig struct {
	// ClientID and ClientSecret are the Discord application's. Required.
	ClientID, ClientSecret string
	// RedirectURL is the redirect URI the client used to get the code.
	// Required.
	RedirectURL string
	// APIURL is the API base. Default "https://discord.com/api".
	APIURL string
	// Timeout bounds each call. Default 5 s.
	Timeout time.Duration
	// Client makes the calls (nil: a client with Timeout).
	Client *http.Client
}

// DiscordProvider verifies Discord OAuth2 authorization codes: it exchanges
// the code for an access token ({api}/oauth2/token, scope identify) and
// reads {api}/users/@me. The subject is the Discord user id, the display
// name global_name, else username. A refused code (invalid_grant, any 4xx
// but 429) is ErrBadCredential; a network error, 429 or 5xx is
// ErrUnavailable. It is safe for concurrent use.
type DiscordProvider struct {
	cfg   DiscordConfig
	oauth oauth2.Config
}

// NewDiscord returns a DiscordProvider for cfg, or an error naming what is
// missing or malformed.
func NewDiscord(cfg DiscordConfig) (*DiscordProvider, error) {
	if cfg.ClientID == "" || cfg.ClientSecret == "" || cfg.RedirectURL == "" {
		return nil, errors.New("auth: discord needs a client id, a client secret and a redirect URL")
	}
	if cfg.APIURL == "" {
		cfg.APIURL = "https://discord.com/api"
	}
	cfg.APIURL = strings.TrimSuffix(cfg.APIURL, "/")
	if u, err := url.Parse(cfg.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("auth: discord API URL %q is not an http(s) URL", cfg.APIURL)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: cfg.Timeout}
	}
	return &DiscordProvider{cfg: cfg, oauth: oauth2.Config{
		ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
		Scopes:   []string{"identify"},
		Endpoint: oauth2.Endpoint{TokenURL: cfg.APIURL + "/oauth2/token", AuthStyle: oauth2.AuthStyleInParams},
	}}, nil
}

// Name implements Provider.
func (*DiscordProvider) Name() string { return ProviderDiscord }

// Verify implements Provider: credential is the authorization code.
func (d *DiscordProvider) Verify(ctx context.Context, credential string) (Identity, error) {
	if credential == "" || len(credential) > 512 {
		return Identity{}, fmt.Errorf("discord: empty or oversized code: %w", ErrBadCredential)
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, d.cfg.Client)
	tok, err := d.oauth.Exchange(ctx, credential)
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode >= 400 && re.Response.StatusCode < 500 && re.Response.StatusCode != http.StatusTooManyRequests {
			return Identity{}, fmt.Errorf("discord: code refused (%d %s): %w", re.Response.StatusCode, re.ErrorCode, ErrBadCredential)
		}
		return Identity{}, fmt.Errorf("discord: token exchange: %w: %v", ErrUnavailable, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.cfg.APIURL+"/users/@me", nil)
	if err != nil {
		return Identity{}, fmt.Errorf("discord: %w: %v", ErrUnavailable, err)
	}
	tok.SetAuthHeader(req)
	resp, err := d.cfg.Client.Do(req)
	if err != nil {
		return Identity{}, fmt.Errorf("discord: users/@me: %w: %v", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil || resp.StatusCode != http.StatusOK {
		// The token was just issued: any refusal here is Discord's fault.
		return Identity{}, fmt.Errorf("discord: users/@me: status %d: %w", resp.StatusCode, ErrUnavailable)
	}
	var u struct {
		ID         string `json:"id"`
		Username   string `json:"username"`
		GlobalName string `json:"global_name"`
	}
	if err := json.Unmarshal(body, &u); err != nil || u.ID == "" {
		return Identity{}, fmt.Errorf("discord: users/@me: malformed answer: %w", ErrUnavailable)
	}
	name := u.GlobalName
	if name == "" {
		name = u.Username
	}
	return Identity{Subject: u.ID, DisplayName: name}, nil
}
