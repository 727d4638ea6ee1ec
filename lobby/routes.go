package lobby

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/pantheon-oracles/pantheon/lobby/auth"
)

// route is one API endpoint. The OpenAPI test compares this table with
// openapi.json in both directions.
type route struct {
	method  string
	path    string // net/http pattern path, e.g. /v1/tickets/{ticket_id}
	handler http.Handler
}

// handlerFunc is a handler that returns its error for translation.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// authedFunc is a handler for an authenticated player.
type authedFunc func(w http.ResponseWriter, r *http.Request, c auth.Claims) error

func (l *Lobby) buildRoutes() {
	pub := func(f handlerFunc) http.Handler { return l.wrap(f) }
	authed := func(f authedFunc) http.Handler { return l.wrap(l.requireAuth(f)) }
	l.routes = []route{
		{"GET", "/v1/health", pub(l.handleHealth)},
		{"GET", "/v1/openapi.json", pub(l.handleOpenAPI)},
		{"GET", "/v1/modes", pub(l.handleModes)},
		{"GET", "/v1/flags", authed(l.handleFlags)},
		{"GET", "/v1/content", pub(l.handleContent)},
		{"POST", "/v1/auth/guest", pub(l.handleGuest)},
		{"POST", "/v1/auth/login", pub(l.handleLogin)},
		{"POST", "/v1/auth/refresh", pub(l.handleRefresh)},
		{"POST", "/v1/auth/logout", authed(l.handleLogout)},
		{"GET", "/v1/me", authed(l.handleMe)},
		{"POST", "/v1/me/identities", authed(l.handleLink)},
		{"GET", "/v1/me/oracles", authed(l.handleOracles)},
		{"PUT", "/v1/me/oracles/{oracle_id}", authed(l.handlePutOracle)},
		{"DELETE", "/v1/me/oracles/{oracle_id}", authed(l.handleDeleteOracle)},
		{"GET", "/v1/me/matches", authed(l.handleMyMatches)},
		{"GET", "/v1/me/ratings", authed(l.handleMyRatings)},
		{"GET", "/v1/me/wallet", authed(l.handleMyWallet)},
		{"GET", "/v1/me/ledger", authed(l.handleMyLedger)},
		{"GET", "/v1/me/codex", authed(l.handleMyCodex)},
		{"GET", "/v1/matches/{match_id}", authed(l.handleMatch)},
		{"GET", "/v1/matches/{match_id}/replay", authed(l.handleReplay)},
		{"GET", "/v1/leaderboards/{mode}", authed(l.handleLeaderboard)},
		{"POST", "/v1/parties/consent", authed(l.handleConsent)},
		{"POST", "/v1/tickets", authed(l.handleCreateTicket)},
		{"GET", "/v1/tickets/{ticket_id}", authed(l.handleGetTicket)},
		{"DELETE", "/v1/tickets/{ticket_id}", authed(l.handleCancelTicket)},
		{"GET", "/v1/events", pub(l.handleEvents)},
		{"POST", "/v1/servers/heartbeat", pub(l.handleHeartbeat)},
		{"GET", "/v1/servers", pub(l.handleServers)},
	}
	l.mux = http.NewServeMux()
	for _, rt := range l.routes {
		l.mux.Handle(rt.method+" "+rt.path, rt.handler)
	}
}

// routeSite labels requests served by Deps.Site in the metrics.
const routeSite = "site"

// Handler returns the lobby's HTTP handler: every route under /v1, the
// Deps.Site handler (when set) for paths outside /v1/, a JSON 404/405 for
// anything else, CORS for browsers (cors.go) and the per-IP rate limit in
// front (room server heartbeats excepted). Every request is counted and
// timed by route pattern (site requests as "site") and status code.
func (l *Lobby) Handler() http.Handler {
	limited := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/v1/servers/heartbeat" {
				if err := l.limit(r.Context(), limitPerIP, "ip:"+l.clientIP(r).String(), l.cfg.Limits.PerIP); err != nil {
					l.writeError(w, r, err)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
	serve := limited(l.mux)
	var site http.Handler
	if l.site != nil {
		site = limited(l.site)
	}
	unrouted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { l.writeError(w, r, l.unrouted(r)) })
	return l.cors(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := l.mux.Handler(r); pattern != "" {
			l.met.instrument(pattern, w, r, serve)
			return
		}
		if site != nil && r.URL.Path != "/v1" && !strings.HasPrefix(r.URL.Path, "/v1/") {
			l.met.instrument(routeSite, w, r, site)
			return
		}
		l.met.instrument(routeUnmatched, w, r, unrouted)
	}))
}

// Authenticate checks r's bearer token (the Authorization header) the way
// every authenticated route does, revocation included, for handlers
// mounted through Deps.Site. WriteError answers its error (401 with the
// lobby's error code).
func (l *Lobby) Authenticate(r *http.Request) (auth.Claims, error) {
	return l.authenticate(r.Context(), bearer(r, false))
}

// WriteError writes err as the lobby's JSON error body ({"code",
// "message"}, the status its code maps to), for handlers mounted through
// Deps.Site.
func (l *Lobby) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	l.writeError(w, r, err)
}

// methodsFor lists the methods r's path is served with.
func (l *Lobby) methodsFor(r *http.Request) []string {
	var allow []string
	for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
		probe := r.Clone(context.Background())
		probe.Method = m
		if _, p := l.mux.Handler(probe); p != "" {
			allow = append(allow, m)
		}
	}
	return allow
}

// unrouted tells 405 (the path exists with another method) from 404.
func (l *Lobby) unrouted(r *http.Request) error {
	if allow := l.methodsFor(r); len(allow) > 0 {
		return fail(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method not allowed; allowed: "+strings.Join(allow, ", "))
	}
	return fail(http.StatusNotFound, CodeNotFound, "no such endpoint")
}

// wrap turns a handlerFunc into an http.Handler that bounds the body and
// writes returned errors.
func (l *Lobby) wrap(f handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, l.cfg.MaxBodyBytes)
		if err := f(w, r); err != nil {
			l.writeError(w, r, err)
		}
	})
}

// bearer extracts the access token from the Authorization header or, for
// the push channel (browsers cannot set headers on WebSocket), the
// access_token query parameter.
func bearer(r *http.Request, allowQuery bool) string {
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return "\x00" // present but not a bearer token: refused by VerifyAccess
		}
		return tok
	}
	if allowQuery {
		return r.URL.Query().Get("access_token")
	}
	return ""
}

// authenticate checks an access token and that it is not revoked.
func (l *Lobby) authenticate(ctx context.Context, token string) (auth.Claims, error) {
	if token == "" {
		return auth.Claims{}, fail(http.StatusUnauthorized, CodeUnauthorized, "missing bearer token")
	}
	c, err := l.tokens.VerifyAccess(token, l.now())
	if err != nil {
		return auth.Claims{}, err
	}
	if err := l.checkRevoked(ctx, c); err != nil {
		return auth.Claims{}, err
	}
	return c, nil
}

// checkRevoked refuses a token whose session is revoked (logout, refresh
// reuse) or that was issued at or before its player's logout everywhere,
// with one store round trip.
func (l *Lobby) checkRevoked(ctx context.Context, c auth.Claims) error {
	rv, err := l.st.Revocation(ctx, c.SessionID, c.PlayerID)
	if err != nil {
		return err
	}
	if rv.Session || revokedBefore(c, rv.Before) {
		return fail(http.StatusUnauthorized, CodeSessionRevoked, "session revoked")
	}
	return nil
}

// revokedBefore reports whether c was issued at or before cutoff (a zero
// cutoff revokes nothing).
func revokedBefore(c auth.Claims, cutoff time.Time) bool {
	return !cutoff.IsZero() && !c.IssuedAt.After(cutoff)
}

func (l *Lobby) requireAuth(f authedFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := l.authenticate(r.Context(), bearer(r, false))
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="pantheon"`)
			return err
		}
		return f(w, r, c)
	}
}

// decodeOptional is decode for an optional body: an empty (or all
// whitespace) body leaves v unchanged.
func decodeOptional(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err // *http.MaxBytesError: 413
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return decode(r, v)
}

// decode reads a JSON body into v: one object, no unknown fields.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return fail(http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("malformed JSON body: %v", err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fail(http.StatusBadRequest, CodeBadRequest, "trailing data after the JSON body")
	}
	return nil
}
