package auth

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// SteamConfig configures SteamProvider.
type SteamConfig struct {
	// Key is the publisher Web API key. Required.
	Key string
	// AppID is the game's Steam app id. Required.
	AppID string
	// Identity is the identity string clients pass to
	// GetAuthTicketForWebApi ("": none).
	Identity string
	// BaseURL is the Web API base. Default "https://partner.steam-api.com".
	BaseURL string
	// Timeout bounds each call to the Web API. Default 5 s.
	Timeout time.Duration
	// Client makes the calls (nil: a client with Timeout).
	Client *http.Client
}

// SteamProvider verifies Steam session tickets (hex, from
// GetAuthTicketForWebApi) through ISteamUserAuth/AuthenticateUserTicket/v1.
// The subject is the 64-bit SteamID; VAC- or publisher-banned users are
// refused. It is safe for concurrent use.
type SteamProvider struct {
	cfg SteamConfig
}

// NewSteam returns a SteamProvider for cfg, or an error naming what is
// missing or malformed.
func NewSteam(cfg SteamConfig) (*SteamProvider, error) {
	if cfg.Key == "" || cfg.AppID == "" {
		return nil, errors.New("auth: steam needs both a Web API key and an app id")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://partner.steam-api.com"
	}
	if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("auth: steam base URL %q is not an http(s) URL", cfg.BaseURL)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: cfg.Timeout}
	}
	return &SteamProvider{cfg: cfg}, nil
}

// Name implements Provider.
func (*SteamProvider) Name() string { return ProviderSteam }

type steamAnswer struct {
	Response struct {
		Params *struct {
			Result          string `json:"result"`
			SteamID         string `json:"steamid"`
			VACBanned       bool   `json:"vacbanned"`
			PublisherBanned bool   `json:"publisherbanned"`
		} `json:"params"`
		Error *struct {
			Code int    `json:"errorcode"`
			Desc string `json:"errordesc"`
		} `json:"error"`
	} `json:"response"`
}

// Verify implements Provider: credential is the hex session ticket.
func (s *SteamProvider) Verify(ctx context.Context, credential string) (Identity, error) {
	if _, err := hex.DecodeString(credential); err != nil || credential == "" {
		return Identity{}, fmt.Errorf("steam: ticket is not hex: %w", ErrBadCredential)
	}
	q := url.Values{"key": {s.cfg.Key}, "appid": {s.cfg.AppID}, "ticket": {credential}}
	if s.cfg.Identity != "" {
		q.Set("identity", s.cfg.Identity)
	}
	u := strings.TrimSuffix(s.cfg.BaseURL, "/") + "/ISteamUserAuth/AuthenticateUserTicket/v1/?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Identity{}, fmt.Errorf("steam: %w: %v", ErrUnavailable, err)
	}
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		// The URL carries the key: report only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Identity{}, fmt.Errorf("steam: AuthenticateUserTicket: %w: %v", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil || resp.StatusCode != http.StatusOK {
		return Identity{}, fmt.Errorf("steam: AuthenticateUserTicket: status %d: %w", resp.StatusCode, ErrUnavailable)
	}
	var a steamAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return Identity{}, fmt.Errorf("steam: AuthenticateUserTicket: malformed answer: %w", ErrUnavailable)
	}
	switch p := a.Response.Params; {
	case a.Response.Error != nil:
		return Identity{}, fmt.Errorf("steam: ticket refused (%d %s): %w", a.Response.Error.Code, a.Response.Error.Desc, ErrBadCredential)
	case p == nil:
		return Identity{}, fmt.Errorf("steam: AuthenticateUserTicket: answer without params: %w", ErrUnavailable)
	case p.Result != "OK" || p.SteamID == "":
		return Identity{}, fmt.Errorf("steam: ticket result %q: %w", p.Result, ErrBadCredential)
	case p.VACBanned || p.PublisherBanned:
		return Identity{}, fmt.Errorf("steam: user %s is banned: %w", p.SteamID, ErrBadCredential)
	default:
		return Identity{Subject: p.SteamID}, nil
	}
}
