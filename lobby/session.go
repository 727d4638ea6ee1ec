package lobby

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/pantheon-oracles/pantheon/lobby/auth"
	"github.com/pantheon-oracles/pantheon/persistence"
)

// tokenResponse is the body of a successful login or refresh.
type tokenResponse struct {
	PlayerID        string    `json:"player_id"`
	Created         bool      `json:"created"`
	SessionID       string    `json:"session_id"`
	TokenType       string    `json:"token_type"`
	AccessToken     string    `json:"access_token"`
	AccessExpiresAt time.Time `json:"access_expires_at"`
	RefreshToken    string    `json:"refresh_token"`
}

var deviceIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{16,128}$`)

// guardAuth applies the auth endpoints' limits for the client IP and an
// account key, and refuses a blocked (brute-forcing) IP.
func (l *Lobby) guardAuth(r *http.Request, account string) error {
	ip := l.clientIP(r).String()
	blocked, err := l.st.Revoked(r.Context(), "block:"+ip)
	if err != nil {
		return err
	}
	if blocked {
		l.met.rateLimited.WithLabelValues(limitIPBlocked).Inc()
		e := fail(http.StatusTooManyRequests, CodeRateLimited, "too many failed attempts from this address")
		e.retryAfter = l.cfg.Limits.FailureBlock
		return e
	}
	if err := l.limit(r.Context(), limitLoginPerIP, "login-ip:"+ip, l.cfg.Limits.LoginPerIP); err != nil {
		return err
	}
	if account != "" {
		return l.limit(r.Context(), limitLoginPerAccount, "login-acct:"+account, l.cfg.Limits.LoginPerAccount)
	}
	return nil
}

// failedAttempt counts a refused credential against the client IP and
// blocks the IP for FailureBlock once its failure bucket is empty. cause is
// returned unchanged.
func (l *Lobby) failedAttempt(r *http.Request, cause error) error {
	ip := l.clientIP(r).String()
	ok, _, err := l.st.Allow(r.Context(), "fail-ip:"+ip, l.cfg.Limits.FailuresPerIP, l.now())
	if err == nil && !ok {
		if err := l.st.Revoke(r.Context(), "block:"+ip, l.cfg.Limits.FailureBlock); err != nil {
			l.log.Warn("cannot block brute-forcing address", "ip", ip, "err", err)
		} else {
			l.log.Warn("blocking brute-forcing address", "ip", ip, "for", l.cfg.Limits.FailureBlock)
		}
	}
	return cause
}

// startSession creates a refresh family for player and issues both tokens.
func (l *Lobby) startSession(ctx context.Context, p persistence.Player, created bool) (tokenResponse, error) {
	now := l.now()
	family := auth.NewID("s_")
	refresh, hash, err := auth.NewRefresh(family)
	if err != nil {
		return tokenResponse{}, err
	}
	if err := l.refresh.CreateRefreshFamily(ctx, persistence.RefreshFamily{
		ID: family, PlayerID: p.ID, CurrentHash: hash, ExpiresAt: now.Add(l.cfg.RefreshTTL),
	}); err != nil {
		return tokenResponse{}, err
	}
	access, exp, err := l.tokens.IssueAccess(p.ID, family, now)
	if err != nil {
		return tokenResponse{}, err
	}
	return tokenResponse{PlayerID: p.ID, Created: created, SessionID: family, TokenType: "Bearer",
		AccessToken: access, AccessExpiresAt: exp, RefreshToken: refresh}, nil
}

type guestRequest struct {
	DeviceID    string `json:"device_id"`
	DisplayName string `json:"display_name"`
}

// countLogin records a login attempt's outcome: "ok", or the error code
// the attempt is answered with.
func (l *Lobby) countLogin(method string, err error) {
	outcome := "ok"
	if err != nil {
		outcome = l.translate(err).code
	}
	l.met.logins.WithLabelValues(method, outcome).Inc()
}

// handleGuest: POST /v1/auth/guest, the device login.
func (l *Lobby) handleGuest(w http.ResponseWriter, r *http.Request) (err error) {
	defer func() { l.countLogin("guest", err) }()
	var req guestRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if !deviceIDPattern.MatchString(req.DeviceID) || len(req.DisplayName) > 32 {
		return fail(http.StatusBadRequest, CodeBadRequest, "device_id must be 16..128 of [A-Za-z0-9._:-]; display_name at most 32 bytes")
	}
	if err := l.guardAuth(r, "device:"+req.DeviceID); err != nil {
		return err
	}
	return l.login(w, r, auth.ProviderDevice, req.DeviceID, req.DisplayName)
}

// login finds or creates the player of (provider, subject) and answers with
// a new session's tokens.
func (l *Lobby) login(w http.ResponseWriter, r *http.Request, provider, subject, name string) error {
	p, created, err := l.accounts.LoginIdentity(r.Context(), provider, subject, name)
	if err != nil {
		return err
	}
	resp, err := l.startSession(r.Context(), p, created)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

type providerRequest struct {
	Provider   string `json:"provider"`
	Credential string `json:"credential"`
}

// verifyProvider checks a platform credential through its provider.
func (l *Lobby) verifyProvider(r *http.Request, req providerRequest) (auth.Identity, error) {
	p, ok := l.providers[req.Provider]
	if !ok {
		return auth.Identity{}, fail(http.StatusBadRequest, CodeUnknownProvider, "provider not enabled: "+req.Provider)
	}
	if req.Credential == "" || len(req.Credential) > 8192 {
		return auth.Identity{}, fail(http.StatusBadRequest, CodeBadRequest, "credential must be 1..8192 bytes")
	}
	id, err := p.Verify(r.Context(), req.Credential)
	if errors.Is(err, auth.ErrBadCredential) {
		return auth.Identity{}, l.failedAttempt(r, err)
	}
	return id, err
}

// handleLogin: POST /v1/auth/login with a platform credential.
func (l *Lobby) handleLogin(w http.ResponseWriter, r *http.Request) (err error) {
	defer func() { l.countLogin("provider", err) }()
	var req providerRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := l.guardAuth(r, ""); err != nil {
		return err
	}
	id, err := l.verifyProvider(r, req)
	if err != nil {
		return err
	}
	if err := l.limit(r.Context(), limitLoginPerAccount, "login-acct:"+req.Provider+":"+id.Subject, l.cfg.Limits.LoginPerAccount); err != nil {
		return err
	}
	return l.login(w, r, req.Provider, id.Subject, id.DisplayName)
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// handleRefresh: POST /v1/auth/refresh rotates the refresh token. A reused
// token revokes the family (persistence) and its live access tokens (the
// revocation list) and closes its push connections.
func (l *Lobby) handleRefresh(w http.ResponseWriter, r *http.Request) (err error) {
	defer func() { l.countLogin("refresh", err) }()
	var req refreshRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := l.guardAuth(r, ""); err != nil {
		return err
	}
	family, hash, err := auth.ParseRefresh(req.RefreshToken)
	if err != nil {
		return l.failedAttempt(r, err)
	}
	if err := l.limit(r.Context(), limitLoginPerAccount, "login-acct:session:"+family, l.cfg.Limits.LoginPerAccount); err != nil {
		return err
	}
	next, newHash, err := auth.NewRefresh(family)
	if err != nil {
		return err
	}
	// The access token is stamped with the time before the rotation, so a
	// logout everywhere that revokes the family after the rotation also
	// covers the token (its cutoff is taken after revoking the families).
	now := l.now()
	f, err := l.refresh.RotateRefresh(r.Context(), family, hash, newHash, now)
	switch {
	case errors.Is(err, persistence.ErrRefreshReused):
		if rerr := l.revokeSession(r.Context(), family); rerr != nil {
			l.log.Warn("refresh reuse: cannot revoke live session", "session", family, "err", rerr)
		}
		return l.failedAttempt(r, err)
	case errors.Is(err, persistence.ErrNotFound):
		return l.failedAttempt(r, fail(http.StatusUnauthorized, CodeUnauthorized, "unknown refresh token").because(err))
	case err != nil:
		return err
	}
	access, exp, err := l.tokens.IssueAccess(f.PlayerID, family, now)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tokenResponse{PlayerID: f.PlayerID, SessionID: family, TokenType: "Bearer",
		AccessToken: access, AccessExpiresAt: exp, RefreshToken: next})
	return nil
}

// revokeSession puts session on the revocation list for the access-token
// lifetime (plus leeway) and tells every replica to close the session's
// push connections.
func (l *Lobby) revokeSession(ctx context.Context, session string) error {
	if err := l.st.Revoke(ctx, session, l.tokens.AccessTTL()+l.tokens.Leeway()+time.Second); err != nil {
		return err
	}
	return l.publish(ctx, sessionTopic(session), Event{Type: EventSessionRevoked, SessionID: session})
}

// logoutRequest is the optional body of POST /v1/auth/logout.
type logoutRequest struct {
	// Everywhere ends every session of the player, not only the caller's.
	Everywhere bool `json:"everywhere"`
}

// handleLogout: POST /v1/auth/logout ends the caller's session on every
// transport: the refresh family is revoked, its access tokens are refused on
// HTTP and its push connections are closed on every replica. With
// {"everywhere": true} it ends every session of the player (logoutEverywhere).
// The body is optional.
func (l *Lobby) handleLogout(w http.ResponseWriter, r *http.Request, c auth.Claims) error {
	var req logoutRequest
	if err := decodeOptional(r, &req); err != nil {
		return err
	}
	if req.Everywhere {
		if err := l.logoutEverywhere(r.Context(), c.PlayerID); err != nil {
			return err
		}
		l.met.logouts.WithLabelValues("everywhere").Inc()
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if err := l.refresh.RevokeFamily(r.Context(), c.SessionID, l.now()); err != nil && !errors.Is(err, persistence.ErrNotFound) {
		return err
	}
	if err := l.revokeSession(r.Context(), c.SessionID); err != nil {
		return err
	}
	l.met.logouts.WithLabelValues("session").Inc()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// logoutEverywhere ends every session of player: it revokes every refresh
// family (persistence), then sets the player's cutoff in the state store so
// every access token issued until now is refused on HTTP and on the push
// channel for the rest of the access-token lifetime, then tells every
// replica to close the player's push connections opened with such tokens.
// The cutoff is taken after the families are revoked: a refresh racing with
// the logout stamps its token before its rotation, hence before the cutoff.
// Replicas' clocks are assumed to agree to well under a second (NTP); a
// login on a replica whose clock is behind by d within d of the logout gets
// an access token that is refused, and refreshes to a good one.
func (l *Lobby) logoutEverywhere(ctx context.Context, player string) error {
	if err := l.refresh.RevokePlayerFamilies(ctx, player, l.now()); err != nil {
		return err
	}
	cutoff := l.now()
	if err := l.st.RevokePlayer(ctx, player, cutoff, l.tokens.AccessTTL()+l.tokens.Leeway()+time.Second); err != nil {
		return err
	}
	return l.publish(ctx, playerTopic(player), Event{Type: EventPlayerRevoked, RevokedBefore: cutoff.UTC()})
}
