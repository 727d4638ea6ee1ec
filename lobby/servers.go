package lobby

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/lobby/fleet"
	"github.com/pantheon-oracles/pantheon/lobby/store"
)

//go:embed openapi.json
var openAPIDoc []byte

// handleOpenAPI: GET /v1/openapi.json, this API's OpenAPI 3 document.
func (l *Lobby) handleOpenAPI(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPIDoc)
	return nil
}

// handleHealth: GET /v1/health answers 200 when the state store answers,
// 503 otherwise.
func (l *Lobby) handleHealth(w http.ResponseWriter, r *http.Request) error {
	if err := l.st.Ping(r.Context()); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "replica": l.cfg.ReplicaID})
	return nil
}

// requireFleet checks the fleet secret (CONTROL_API.md, Authentication).
// Failures count against the client IP like failed logins
// (Limits.FailuresPerIP): an address past its budget is blocked for
// Limits.FailureBlock and answered 429 without its secret being compared.
func (l *Lobby) requireFleet(r *http.Request) error {
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
	if !fleet.CheckSecret(r.Header.Get("Authorization"), l.cfg.FleetSecret) {
		return l.failedAttempt(r, fail(http.StatusUnauthorized, CodeUnauthorized, "missing or wrong fleet secret"))
	}
	return nil
}

// handleHeartbeat: POST /v1/servers/heartbeat, a room server announcing
// itself; the entry lives for HeartbeatTTL.
func (l *Lobby) handleHeartbeat(w http.ResponseWriter, r *http.Request) error {
	if err := l.requireFleet(r); err != nil {
		return err
	}
	var hb contract.Heartbeat
	if err := decode(r, &hb); err != nil {
		return err
	}
	if err := hb.Validate(); err != nil {
		return fail(http.StatusBadRequest, CodeBadHeartbeat, err.Error())
	}
	ended := hb.MatchesEnded
	hb.MatchesEnded = nil
	data, err := json.Marshal(hb)
	if err != nil {
		return err
	}
	// The matches first: an error here fails the heartbeat, so the room
	// server keeps them and sends them again.
	if err := l.matchesEnded(r.Context(), hb.ServerID, ended); err != nil {
		return err
	}
	exp := l.now().Add(l.cfg.HeartbeatTTL)
	if err := l.st.PutServer(r.Context(), store.ServerRecord{ID: hb.ServerID, ExpiresAt: exp, Data: data, Seq: hb.Seq}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"ttl_ms": l.cfg.HeartbeatTTL.Milliseconds(), "expires_at": exp.UTC()})
	return nil
}

// liveServers returns the registry's live servers.
func (l *Lobby) liveServers(r *http.Request) ([]fleet.Candidate, error) {
	return l.servers(r.Context(), l.now())
}

// handleServers: GET /v1/servers, the live registry (fleet secret
// required): each server's last heartbeat and the rooms placed on it since
// ("placed").
func (l *Lobby) handleServers(w http.ResponseWriter, r *http.Request) error {
	if err := l.requireFleet(r); err != nil {
		return err
	}
	ss, err := l.liveServers(r)
	if err != nil {
		return err
	}
	if ss == nil {
		ss = []fleet.Candidate{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"servers": ss})
	return nil
}

// servers decodes the registry's live servers at now, each with the rooms
// placed on it since its heartbeat.
func (l *Lobby) servers(ctx context.Context, now time.Time) ([]fleet.Candidate, error) {
	recs, err := l.st.Servers(ctx, now)
	if err != nil {
		return nil, err
	}
	out := make([]fleet.Candidate, 0, len(recs))
	for _, rec := range recs {
		var s contract.Heartbeat
		if err := json.Unmarshal(rec.Data, &s); err != nil {
			return nil, fmt.Errorf("registry entry %s: %w", rec.ID, err)
		}
		out = append(out, fleet.Candidate{Heartbeat: s, Placed: rec.Placed})
	}
	return out, nil
}
