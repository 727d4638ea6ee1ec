package server

import (
	"context"
	"errors"
	"sync"
)

// phase is one stage of a server's life that goroutines belong to.
// Shutdown ends the phases in this order.
type phase int

const (
	// phaseAccept: accept loops and connections (readers and writers).
	// Connections are still accepted while rooms drain, so that their
	// players can resume; the phase ends once no room is hosted.
	phaseAccept phase = iota
	// phaseShards: the scheduler shards. Cancelled, a shard returns once
	// it has no rooms left.
	phaseShards
	// phaseResults: the result workers. They submit until every shard
	// has returned (no result can come after) and the queue is empty;
	// the phase's context ends at the flush deadline.
	phaseResults
	// phaseBeats: heartbeats; the last one goes once the results are in.
	phaseBeats
	// phaseAdmin: the control API's HTTP server.
	phaseAdmin
	numPhases
)

// lifeState is where a server is in its life.
type lifeState int

const (
	lifeNew      lifeState = iota // built, not started
	lifeRunning                   // started
	lifeStopping                  // Shutdown began
	lifeStopped                   // Shutdown returned
)

// Start and Shutdown out of turn.
var (
	errStarted    = errors.New("server: already started")
	errNotStarted = errors.New("server: not started")
	errShutDown   = errors.New("server: shut down")
)

// lifecycle owns every goroutine of a server (the logger's apart, which
// outlives them). Each is started by Go in one phase, under the lock that
// closes the phase, so none starts before Start or once its phase is
// closed, and a closed phase's goroutines can be waited for (done). Each
// phase has a context under one root, cancelled when Shutdown asks the
// phase to end.
type lifecycle struct {
	mu         sync.Mutex
	state      lifeState
	root       context.Context
	cancelRoot context.CancelFunc
	phases     [numPhases]phaseGroup
}

// phaseGroup is one phase's context and goroutines, guarded by
// lifecycle.mu.
type phaseGroup struct {
	ctx    context.Context
	cancel context.CancelFunc
	closed bool          // Go refuses the phase
	n      int           // its goroutines running
	done   chan struct{} // closed once closed and n == 0
}

// canStart reports errStarted or errShutDown unless the lifecycle is new.
func (l *lifecycle) canStart() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.canStartLocked()
}

func (l *lifecycle) canStartLocked() error {
	switch l.state {
	case lifeNew:
		return nil
	case lifeRunning:
		return errStarted
	default:
		return errShutDown
	}
}

// start makes a new lifecycle running: Go starts goroutines from now on.
func (l *lifecycle) start() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.canStartLocked(); err != nil {
		return err
	}
	l.root, l.cancelRoot = context.WithCancel(context.Background())
	for i := range l.phases {
		g := &l.phases[i]
		g.ctx, g.cancel = context.WithCancel(l.root)
		g.done = make(chan struct{})
	}
	l.state = lifeRunning
	return nil
}

// beginStop makes a running lifecycle stopping, once.
func (l *lifecycle) beginStop() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch l.state {
	case lifeRunning:
		l.state = lifeStopping
		return nil
	case lifeNew:
		return errNotStarted
	default:
		return errShutDown
	}
}

// Go runs each of fs on a new goroutine of phase p, passing the phase's
// context, and reports true; before Start, or once p is closed, it starts
// none of them and reports false.
func (l *lifecycle) Go(p phase, fs ...func(ctx context.Context)) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	g := &l.phases[p]
	if l.state == lifeNew || g.closed {
		return false
	}
	for _, f := range fs {
		g.n++
		go func() {
			defer l.exit(p)
			f(g.ctx)
		}()
	}
	return true
}

func (l *lifecycle) exit(p phase) {
	l.mu.Lock()
	defer l.mu.Unlock()
	g := &l.phases[p]
	g.n--
	if g.closed && g.n == 0 {
		close(g.done)
	}
}

// close makes Go refuse phase p from now on; its goroutines keep running.
func (l *lifecycle) close(p phase) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closeLocked(p)
}

func (l *lifecycle) closeLocked(p phase) {
	g := &l.phases[p]
	if g.closed || l.state == lifeNew {
		return
	}
	g.closed = true
	if g.n == 0 {
		close(g.done)
	}
}

// cancel closes phase p and cancels its context: its goroutines are asked
// to return.
func (l *lifecycle) cancel(p phase) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closeLocked(p)
	if c := l.phases[p].cancel; c != nil {
		c()
	}
}

// done is closed once phase p is closed and every goroutine of it has
// returned (never before Start).
func (l *lifecycle) done(p phase) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state == lifeNew {
		return nil
	}
	return l.phases[p].done
}

// ctx is the root context: it ends when Shutdown has waited for every
// phase. Nil before Start.
func (l *lifecycle) ctx() context.Context {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.root
}

// stop closes every phase, waits for all of them (Shutdown has asked each
// to end, or set its deadline) and cancels the root: the lifecycle is
// stopped.
func (l *lifecycle) stop() {
	for p := range numPhases {
		l.close(p)
	}
	for p := range numPhases {
		<-l.done(p)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.state = lifeStopped
	l.cancelRoot()
}
