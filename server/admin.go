package server

import (
	"io"
	"log"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
)

// AdminHandler serves the control API under /v1/, Prometheus /metrics,
// the probes (/healthz, /livez, /readyz) and net/http/pprof under
// /debug/pprof/, all on one mux. Every path but the probes needs the fleet
// secret (pprof's cmdline would show
// secrets given as flags; metrics name rooms and matches), with the
// failure back-off of requireFleetSecret.
func (s *Server) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/", s.controlHandler())
	mux.Handle("GET /metrics", s.requireFleetSecret(s.metrics.handler()))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		if s.reg.isDraining() {
			writeControlError(w, http.StatusServiceUnavailable, contract.CodeDraining, "draining")
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, probeBody{Status: "alive"})
	})
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	prof := http.NewServeMux()
	prof.HandleFunc("/debug/pprof/", pprof.Index)
	prof.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	prof.HandleFunc("/debug/pprof/profile", pprof.Profile)
	prof.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	prof.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/debug/pprof/", s.requireFleetSecret(prof))
	return mux
}

// newAdminServer is the admin port's HTTP server: every request gets
// Config.AdminReadTimeout to arrive and Config.AdminWriteTimeout to be
// answered, and a keep-alive connection idle for Config.AdminIdleTimeout
// is closed, so idle connections cannot pin descriptors. Start wraps its
// listener in the per-IP connection cap.
func (s *Server) newAdminServer() *http.Server {
	return &http.Server{
		Handler:           s.AdminHandler(),
		ReadHeaderTimeout: min(5*time.Second, s.cfg.AdminReadTimeout),
		ReadTimeout:       s.cfg.AdminReadTimeout,
		WriteTimeout:      s.cfg.AdminWriteTimeout,
		IdleTimeout:       s.cfg.AdminIdleTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
}

// AdminConns is the number of TCP connections open on the admin port
// (after Start).
func (s *Server) AdminConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.adminLimit == nil {
		return 0
	}
	return s.adminLimit.Open()
}

// probeBody is the JSON of /livez and /readyz: status "alive", "ready" or
// "not_ready" with the reasons (readiness codes) it is not.
type probeBody struct {
	Status  string   `json:"status"`
	Reasons []string `json:"reasons,omitempty"`
	Content string   `json:"content_version,omitempty"`
}

// Readiness reasons of the room server's /readyz.
const (
	notReadyDraining  = "draining"           // Shutdown began: no new rooms
	notReadyNoContent = "content_not_loaded" // no content version: cannot create rooms
)

// handleReadyz: GET /readyz answers 200 {"status":"ready"} while the server
// can take rooms (content loaded, not draining), else 503 with the
// reasons. Unlike /healthz it has a body, and /livez stays 200 throughout.
// The database is not part of it: results wait in the outbox while it is
// down, and rooms keep running.
func (s *Server) handleReadyz(w http.ResponseWriter, _ *http.Request) {
	b := probeBody{Status: "ready", Content: s.contentVersion}
	if s.contentVersion == "" {
		b.Reasons = append(b.Reasons, notReadyNoContent)
	}
	if s.reg.isDraining() {
		b.Reasons = append(b.Reasons, notReadyDraining)
	}
	code := http.StatusOK
	if len(b.Reasons) > 0 {
		b.Status, code = "not_ready", http.StatusServiceUnavailable
	}
	writeJSON(w, code, b)
}
