package lobby

import (
	"context"
	"net/http"
	"time"
)

// probeBody is the JSON of /livez and /readyz: status "alive", "ready" or
// "not_ready" with the reasons it is not (readiness codes) and, for a
// store failure, its error.
type probeBody struct {
	Status  string   `json:"status"`
	Replica string   `json:"replica"`
	Reasons []string `json:"reasons,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// Readiness reasons of /readyz.
const (
	notReadyStore        = "state_store_unavailable" // the state store (Redis) did not answer its ping
	notReadyNoContent    = "content_not_loaded"      // no game modes: nothing to queue for
	notReadyShuttingDown = "shutting_down"           // Run's context ended: draining connections
)

// readyPingTimeout bounds /readyz's ping of the state store, so a probe
// with a 1 s timeout gets a 503 rather than no answer.
const readyPingTimeout = 500 * time.Millisecond

// handleLivez: GET /livez (admin address) answers 200 while the process
// serves, whatever its dependencies: a liveness probe that restarted the
// lobby during a Redis outage would only add an outage of its own.
func (l *Lobby) handleLivez(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, probeBody{Status: "alive", Replica: l.cfg.ReplicaID})
}

// handleReadyz: GET /readyz (admin address) answers 200 when this replica
// can serve players: the state store answers a ping (within
// readyPingTimeout), the content's modes are loaded and Run is not
// shutting down; else 503 with the reasons. The database is not part of
// it: ratings and rosters are answered from the cache while it is down
// (doc.go, "Database outages"). GET /v1/health stays as it was.
func (l *Lobby) handleReadyz(w http.ResponseWriter, r *http.Request) {
	b := probeBody{Status: "ready", Replica: l.cfg.ReplicaID}
	ctx, cancel := context.WithTimeout(r.Context(), readyPingTimeout)
	defer cancel()
	if err := l.st.Ping(ctx); err != nil {
		b.Reasons, b.Error = append(b.Reasons, notReadyStore), err.Error()
	}
	if len(l.modes.All()) == 0 {
		b.Reasons = append(b.Reasons, notReadyNoContent)
	}
	select {
	case <-l.closing:
		b.Reasons = append(b.Reasons, notReadyShuttingDown)
	default:
	}
	code := http.StatusOK
	if len(b.Reasons) > 0 {
		b.Status, code = "not_ready", http.StatusServiceUnavailable
	}
	writeJSON(w, code, b)
}
