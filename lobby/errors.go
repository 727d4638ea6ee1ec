package lobby

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/pantheon-oracles/pantheon/lobby/auth"
	"github.com/pantheon-oracles/pantheon/lobby/match"
	"github.com/pantheon-oracles/pantheon/lobby/store"
	"github.com/pantheon-oracles/pantheon/persistence"
)

// Error codes: the stable "code" of every JSON error body. The OpenAPI
// document lists them.
const (
	CodeBadRequest       = "bad_request"
	CodeBodyTooLarge     = "body_too_large"
	CodeNotFound         = "not_found"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeUnauthorized     = "unauthorized"
	CodeTokenExpired     = "token_expired"
	CodeTokenTooLarge    = "token_too_large"
	CodeSessionRevoked   = "session_revoked"
	CodeRefreshReused    = "refresh_reused"
	CodeBadCredential    = "bad_credential"
	CodeUnknownProvider  = "unknown_provider"
	CodeIdentityTaken    = "identity_taken"
	CodeRateLimited      = "rate_limited"
	CodeQueueFull        = "queue_full"
	CodeAlreadyQueued    = "already_queued"
	CodeUnknownMode      = "unknown_mode"
	CodeInvalidTicket    = "invalid_ticket"
	CodeTicketNotFound   = "ticket_not_found"
	CodeTicketConflict   = "ticket_not_cancellable"
	CodeOracleNotFound   = "oracle_not_found"
	CodeInvalidOracle    = "invalid_oracle"
	CodeRosterFull       = "roster_full"
	CodeMatchNotFound    = "match_not_found"
	CodeReplayNotFound   = "replay_not_found"
	CodeBadHeartbeat     = "bad_heartbeat"
	CodeUnavailable      = "unavailable"
	CodeInternal         = "internal"
)

// apiError is an error with its HTTP translation.
type apiError struct {
	status     int
	code       string
	msg        string
	retryAfter time.Duration
	cause      error
}

func (e *apiError) Error() string {
	if e.cause != nil {
		return e.code + ": " + e.msg + ": " + e.cause.Error()
	}
	return e.code + ": " + e.msg
}

func (e *apiError) Unwrap() error { return e.cause }

// fail builds an apiError.
func fail(status int, code, msg string) *apiError {
	return &apiError{status: status, code: code, msg: msg}
}

// because attaches the underlying cause (logged, never sent).
func (e *apiError) because(err error) *apiError {
	e.cause = err
	return e
}

// translate maps any error to its apiError: explicit apiErrors as they are,
// known sentinels by table, anything else to 500.
func (l *Lobby) translate(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return fail(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, fmt.Sprintf("request body over %d bytes", mbe.Limit))
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, persistence.ErrUnavailable):
		e := fail(http.StatusServiceUnavailable, CodeUnavailable, "a backing service is unavailable; retry later").because(err)
		e.retryAfter = l.cfg.UnavailableRetryAfter
		return e
	case errors.Is(err, auth.ErrUnavailable):
		e := fail(http.StatusServiceUnavailable, CodeUnavailable, "the identity provider is unavailable; retry later").because(err)
		e.retryAfter = l.cfg.UnavailableRetryAfter
		return e
	case errors.Is(err, store.ErrQueueFull):
		e := fail(http.StatusTooManyRequests, CodeQueueFull, "this mode's queue is full; retry later")
		e.retryAfter = l.cfg.QueueFullRetryAfter
		return e
	case errors.Is(err, store.ErrAlreadyQueued):
		return fail(http.StatusConflict, CodeAlreadyQueued, "a player of this ticket already has a live ticket")
	case errors.Is(err, auth.ErrExpired):
		return fail(http.StatusUnauthorized, CodeTokenExpired, "access token expired")
	case errors.Is(err, auth.ErrTooLarge):
		return fail(http.StatusUnauthorized, CodeTokenTooLarge, "access token too large")
	case errors.Is(err, auth.ErrInvalidToken):
		return fail(http.StatusUnauthorized, CodeUnauthorized, "invalid token")
	case errors.Is(err, auth.ErrBadCredential):
		return fail(http.StatusUnauthorized, CodeBadCredential, "credential refused")
	case errors.Is(err, persistence.ErrRefreshReused):
		return fail(http.StatusUnauthorized, CodeRefreshReused, "refresh token reused; the session is revoked")
	case errors.Is(err, persistence.ErrRevoked):
		return fail(http.StatusUnauthorized, CodeSessionRevoked, "session revoked or expired")
	case errors.Is(err, persistence.ErrIdentityTaken):
		return fail(http.StatusConflict, CodeIdentityTaken, "identity linked to another player")
	case errors.Is(err, match.ErrUnknownMode):
		return fail(http.StatusBadRequest, CodeUnknownMode, "unknown mode")
	case errors.Is(err, match.ErrPartySize), errors.Is(err, match.ErrRole), errors.Is(err, match.ErrBadTicket):
		return fail(http.StatusBadRequest, CodeInvalidTicket, err.Error())
	}
	return fail(http.StatusInternalServerError, CodeInternal, "internal error").because(err)
}

// errorBody is the JSON body of every error.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeError writes err as a JSON error body with its status and, for 429
// and 503, a Retry-After header in whole seconds (at least 1).
func (l *Lobby) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := l.translate(err)
	l.met.countUnavailable(err)
	if ae.status >= 500 {
		l.logFailure("request failed", ae, "method", r.Method, "path", r.URL.Path, "code", ae.code)
	}
	if ae.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(max(ae.retryAfter.Seconds(), 1)))))
	}
	writeJSON(w, ae.status, errorBody{Code: ae.code, Message: ae.msg})
}

// writeJSON writes v as a JSON body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
