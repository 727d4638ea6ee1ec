package lobby

import (
	"context"
	"errors"
	"time"

	"github.com/pantheon-oracles/pantheon/lobby/store"
	"github.com/pantheon-oracles/pantheon/persistence"
)

// Pinger is a dependency the lobby checks periodically (doc.go, "Outage
// logs").
type Pinger interface {
	// Ping reports whether the dependency answers; an error wrapping its
	// package's ErrUnavailable when it does not.
	Ping(ctx context.Context) error
}

// Dependency names in logs and in the dependency_* metrics.
const depState = "state_store" // depDatabase is in dbcache.go

// countedError marks an error already reported to its dependency's
// tracker (the database cache reports its own reads), so that it is not
// counted twice.
type countedError struct{ error }

func (e countedError) Unwrap() error { return e.error }

// dependencyFailed reports err to the tracker of the dependency it shows
// unavailable (the state store or the database) and reports whether it
// was such an error. The tracker logs the outage's first failure; callers
// log the others at debug level only, so an outage is one line down and
// one line up, not a line per request or pass.
func (l *Lobby) dependencyFailed(err error) bool {
	var c countedError
	switch {
	case errors.As(err, &c):
		return true
	case errors.Is(err, store.ErrUnavailable):
		l.stateDep.Fail(err)
		return true
	case errors.Is(err, persistence.ErrUnavailable):
		l.dbDep.Fail(err)
		return true
	}
	return false
}

// healthLoop pings the state store, and the database when Deps.Database is
// set, every HealthInterval (each ping bounded by it too), from Run's start
// until ctx ends. Failures and recoveries go to the dependencies' trackers:
// the log lines of an outage and dependency_up; a ping during an outage
// counts in dependency_failures_total.
func (l *Lobby) healthLoop(ctx context.Context) {
	t := time.NewTicker(l.cfg.HealthInterval)
	defer t.Stop()
	for {
		l.ping(ctx, l.st, l.stateDep.Fail, func() { l.stateDep.OK() })
		if l.database != nil {
			l.ping(ctx, l.database, l.dbDep.Fail, func() { l.dbDep.OK() })
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (l *Lobby) ping(ctx context.Context, p Pinger, fail func(error) bool, ok func()) {
	pctx, cancel := context.WithTimeout(ctx, l.cfg.HealthInterval)
	defer cancel()
	err := p.Ping(pctx)
	switch {
	case ctx.Err() != nil:
	case err != nil:
		fail(err)
	default:
		ok()
	}
}

// logFailure logs msg with err at warn level, or at debug level when err
// shows a dependency unavailable (its tracker logs the outage once).
func (l *Lobby) logFailure(msg string, err error, args ...any) {
	args = append(args, "err", err)
	if l.dependencyFailed(err) {
		l.log.Debug(msg, args...)
		return
	}
	l.log.Warn(msg, args...)
}
