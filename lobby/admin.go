package lobby

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// AdminHandler serves the operator endpoints, meant for a private admin
// address, never the public one: GET /metrics (the lobby's registry in the
// Prometheus text format), the probes GET /livez and GET /readyz
// (probes.go), /debug/pprof/, and the operator console (console.go): its
// page at GET /console and its API under /admin/v1/, behind the fleet
// secret. They are kept off the public
// API so scrapes neither consume per-IP rate-limit tokens nor count as API
// traffic, and so queue depths, error rates and profiles are not exposed to
// players.
func (l *Lobby) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(l.met.reg, promhttp.HandlerOpts{Registry: l.met.reg, Timeout: 5 * time.Second}))
	mux.HandleFunc("GET /livez", l.handleLivez)
	mux.HandleFunc("GET /readyz", l.handleReadyz)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	l.consoleMux(mux)
	return mux
}

// ServeAdmin serves AdminHandler on ln until ctx is cancelled, then shuts
// down, waiting up to 5 s for scrapes in flight.
func (l *Lobby) ServeAdmin(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           l.AdminHandler(),
		ReadHeaderTimeout: l.cfg.ReadHeaderTimeout,
		ReadTimeout:       l.cfg.ReadTimeout,
		// A CPU profile or trace streams for its whole duration.
		WriteTimeout: 2 * time.Minute,
		IdleTimeout:  l.cfg.IdleTimeout,
		ErrorLog:     slog.NewLogLogger(l.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
