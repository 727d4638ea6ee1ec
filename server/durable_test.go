package server

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/pantheon-oracles/pantheon/persistence"
)

// gateSink holds every Submit until open is called, then stores the
// record in mem. entered is closed by the first Submit.
type gateSink struct {
	mem     *MemorySink
	gate    chan struct{}
	entered chan struct{}
	once    sync.Once
	open    func()
}

func newGateSink() *gateSink {
	g := &gateSink{mem: NewMemorySink(), gate: make(chan struct{}), entered: make(chan struct{})}
	var o sync.Once
	g.open = func() { o.Do(func() { close(g.gate) }) }
	return g
}

func (g *gateSink) Submit(ctx context.Context, rec persistence.MatchRecord) error {
	g.once.Do(func() { close(g.entered) })
	select {
	case <-g.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	return g.mem.Submit(ctx, rec)
}

// events returns how many events frames rc has read.
func (rc *rawClient) eventsRead() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.events
}

// TestMatchEndWaitsForDurableResult: the final tick's events and the bye
// reach the clients only after the sink's Submit has returned nil.
func TestMatchEndWaitsForDurableResult(t *testing.T) {
	sink := newGateSink()
	h := startHarnessSink(t, testConfig(), scriptFactory(30, 20), sink, sink.mem)
	t.Cleanup(sink.open) // runs before the harness's shutdown
	resp := h.create(battleSpec("m_hold"))
	clients := joinAll(t, h, resp, "mem")
	select {
	case <-sink.entered:
	case <-time.After(15 * time.Second):
		t.Fatal("the ended room's result never reached the sink")
	}
	r, ok := h.srv.reg.get(resp.RoomID)
	if !ok || r.summary().State != StateEnded {
		t.Fatalf("room while its result is unconfirmed: found=%v, want state %q held in the registry", ok, StateEnded)
	}
	// The sink has the record but has not confirmed it: nothing of the end
	// may have been sent. Events before the last tick (tick 10) may have.
	for i, rc := range clients {
		_, _, _, _, e, bye := rc.state()
		if bye || e != nil || rc.eventsRead() > 1 {
			t.Fatalf("client %d heard the end before the result was durable: bye=%v err=%v events=%d (want <= 1)", i, bye, e, rc.eventsRead())
		}
	}
	sink.open()
	for i, rc := range clients {
		if e := rc.waitClosed(t); e != nil {
			t.Fatalf("client %d: got error %v, want a bye", i, e)
		}
		if n := rc.eventsRead(); n != 2 {
			t.Fatalf("client %d read %d events frames, want 2 (ticks 10 and 20, the final one held until durable)", i, n)
		}
	}
	if got := h.srv.metricValue("pantheon_room_result_pending_total", ""); got != 0 {
		t.Fatalf("result_pending_total = %v, want 0", got)
	}
	waitFor(t, "room to leave the registry", func() bool { _, ok := h.srv.reg.get(resp.RoomID); return !ok })
}

// TestResultPendingAfterResultWait: a sink that does not confirm within
// Config.ResultWait gets the clients result_pending, never a bye; the
// result still lands once the sink answers.
func TestResultPendingAfterResultWait(t *testing.T) {
	sink := newGateSink()
	cfg := testConfig()
	cfg.ResultWait = 150 * time.Millisecond
	h := startHarnessSink(t, cfg, scriptFactory(30, 20), sink, sink.mem)
	t.Cleanup(sink.open)
	resp := h.create(battleSpec("m_pending"))
	clients := joinAll(t, h, resp, "mem")
	for i, rc := range clients {
		e := rc.waitClosed(t)
		if e == nil || e.Code != netcode.CodeResultPending {
			t.Fatalf("client %d: closed with %v, want %s", i, e, netcode.CodeResultPending)
		}
		if _, _, _, _, _, bye := rc.state(); bye {
			t.Fatalf("client %d got a bye with an unconfirmed result", i)
		}
		if n := rc.eventsRead(); n != 1 {
			t.Fatalf("client %d read %d events frames, want 1 (the final tick's are never sent unconfirmed)", i, n)
		}
	}
	if got := h.srv.metricValue("pantheon_room_result_pending_total", ""); got != 1 {
		t.Fatalf("result_pending_total = %v, want 1", got)
	}
	sink.open()
	ctx, cancel := testContext()
	defer cancel()
	if _, err := sink.mem.Wait(ctx, "m_pending"); err != nil {
		t.Fatalf("result after the sink answered: %v", err)
	}
}
