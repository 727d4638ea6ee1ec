package server

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/netcode/transport"
)

// TestNothingStartsAfterShutdownBegan: once Shutdown has begun a new room
// is refused (ErrDraining) and scheduled nowhere; once its accept phase
// has ended (the rooms are gone, the listeners closed) a session handed
// to the server is closed and starts no goroutine, while Shutdown is still
// waiting for a result to reach the sink; after Shutdown no phase starts
// a goroutine and the server does not start again.
func TestNothingStartsAfterShutdownBegan(t *testing.T) {
	cfg := testConfig()
	cfg.ResultWait = 300 * time.Millisecond // the held room gives up on its result soon
	cfg.FlushTimeout = waitDeadline         // the flush deadline stays far off
	sink := newGateSink()
	h := startHarnessSink(t, cfg, scriptFactory(30, 0), transport.LinkConfig{}, sink, sink.mem)
	s := h.srv
	h.create(battleSpec("m_before"))

	done := make(chan error, 1)
	go func() { done <- s.Shutdown() }()
	// The waiting room is aborted at once; its result is with the sink,
	// which holds it.
	select {
	case <-sink.entered:
	case <-time.After(waitDeadline):
		t.Fatal("the drained room's result never reached the sink")
	}
	late := func(when string) {
		t.Helper()
		if _, _, err := s.createRoom(battleSpec("m_late")); !errors.Is(err, ErrDraining) {
			t.Fatalf("%s: create room: %v, want ErrDraining", when, err)
		}
		if _, ok := s.reg.lookupMatch("m_late"); ok {
			t.Fatalf("%s: the refused room is registered", when)
		}
		for _, sh := range s.shards {
			sh.mu.Lock()
			n := len(sh.incoming)
			sh.mu.Unlock()
			if n != 0 {
				t.Fatalf("%s: a shard was handed a room", when)
			}
		}
	}
	late("draining")

	// The room gives up waiting for its result: the accept phase ends.
	select {
	case <-s.life.done(phaseAccept):
	case <-time.After(waitDeadline):
		t.Fatal("the accept phase did not end")
	}
	late("accept phase over")
	conns := s.metricValue("pantheon_room_connections", "mem")
	d := newDiscardConn(false)
	if s.serveConn(d) {
		t.Fatal("a session was served after the accept phase ended")
	}
	select {
	case <-d.closed:
	default:
		t.Fatal("the refused session was left open")
	}
	if got := s.metricValue("pantheon_room_connections", "mem"); got != conns {
		t.Fatalf("connections gauge %v after a refused session, want %v", got, conns)
	}
	// Shutdown closes the shards phase after the accept phase (and the
	// listeners): wait for it before asking it for a goroutine.
	select {
	case <-s.life.done(phaseShards):
	case <-time.After(waitDeadline):
		t.Fatal("the shards phase did not end")
	}
	var ran atomic.Bool
	for _, p := range []phase{phaseAccept, phaseShards} {
		if s.life.Go(p, func(context.Context) { ran.Store(true) }) {
			t.Fatalf("phase %d started a goroutine after it ended", p)
		}
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned (%v) with a result still at the sink", err)
	default:
	}

	sink.open()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	case <-time.After(waitDeadline):
		t.Fatal("Shutdown did not return once the sink took the result")
	}
	if recs := sink.mem.Records(); len(recs) != 1 || recs[0].MatchID != "m_before" {
		t.Fatalf("records %v, want the drained room's", recs)
	}
	for p := range numPhases {
		if s.life.Go(p, func(context.Context) { ran.Store(true) }) {
			t.Fatalf("phase %d started a goroutine after Shutdown", p)
		}
	}
	if ran.Load() {
		t.Fatal("a refused goroutine ran")
	}
	if err := s.Start(); err == nil {
		t.Fatal("a shut-down server started again")
	}
	if err := s.Shutdown(); err == nil {
		t.Fatal("a second Shutdown did not say so")
	}
}

// TestLifecycleGoRacesClose: goroutines started while a phase closes
// either start before the close (and are waited for by done) or not at
// all; none runs after done, and Go never starts one once it has refused.
func TestLifecycleGoRacesClose(t *testing.T) {
	var l lifecycle
	if l.Go(phaseAccept, func(context.Context) {}) {
		t.Fatal("Go before start")
	}
	if err := l.start(); err != nil {
		t.Fatal(err)
	}
	var running, started atomic.Int64
	var after atomic.Bool // set once done is closed
	f := func(context.Context) {
		running.Add(1)
		defer running.Add(-1)
		if after.Load() {
			t.Error("a goroutine of the phase runs after done")
		}
		runtime.Gosched()
		if after.Load() {
			t.Error("a goroutine of the phase runs after done")
		}
	}
	// Each spawner starts goroutines until Go refuses, then checks that it
	// keeps refusing.
	var spawners sync.WaitGroup
	for range 8 {
		spawners.Go(func() {
			for l.Go(phaseAccept, f) {
				started.Add(1)
			}
			for range 100 {
				if l.Go(phaseAccept, f) {
					t.Error("Go started a goroutine after refusing one")
				}
			}
		})
	}
	// Close while the spawners are at it.
	poll(t, waitDeadline, 0, "goroutines started", func() bool { return started.Load() >= 16 })
	l.cancel(phaseAccept)
	<-l.done(phaseAccept)
	after.Store(true)
	if n := running.Load(); n != 0 {
		t.Fatalf("%d goroutines still running when done closed", n)
	}
	spawners.Wait()
	if l.Go(phaseAccept, f) {
		t.Fatal("Go after the phase closed")
	}
	if err := l.beginStop(); err != nil {
		t.Fatal(err)
	}
	l.stop()
	if l.ctx().Err() == nil {
		t.Fatal("the root context lives on after stop")
	}
}
