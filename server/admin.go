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
// /healthz and net/http/pprof under /debug/pprof/, all on one mux. Every
// path but /healthz needs the fleet secret (pprof's cmdline would show
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
