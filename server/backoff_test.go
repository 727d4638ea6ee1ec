package server

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/netcode"
)

// shiftedClock is the wall clock moved forward by what a test adds: the
// server's rooms keep ticking in real time, and a test skips a wait (a
// back-off) by shifting the clock instead of sleeping.
type shiftedClock struct{ off atomic.Int64 }

func (c *shiftedClock) now() time.Time { return time.Now().Add(time.Duration(c.off.Load())) }

func (c *shiftedClock) add(d time.Duration) { c.off.Add(int64(d)) }

// TestRateLimitedSeatBacksOff: a client closed for flooding is told the
// server's back-off (retry_after_ms); a resume before it ends is refused
// with rate_limited and the time left, changing nothing (the seat stays
// held, the token valid); the same resume once the back-off is over is
// welcomed and the seat plays on. The back-off runs on the server's clock,
// which the test shifts instead of sleeping.
func TestRateLimitedSeatBacksOff(t *testing.T) {
	clk := &shiftedClock{}
	cfg := testConfig()
	cfg.now = clk.now
	cfg.RateLimitBackoff = 2 * time.Second
	h := startHarness(t, cfg, scriptFactory(30, 0))
	resp := h.create(contract.RoomSpec{MatchID: "m_backoff", Mode: ModeBattle1v1, Seats: seatSpecs(2, 2)})
	clients := joinAll(t, h, resp, "mem")
	flooder := clients[0]
	w := flooder.waitWelcome(t)
	for seq := uint32(1); seq <= 2000; seq++ {
		flooder.input(netcode.Input{Seq: seq, CastSlot: -1})
	}
	e := flooder.waitClosed(t)
	if e == nil || e.Code != netcode.CodeRateLimited || e.RetryAfter != cfg.RateLimitBackoff {
		t.Fatalf("flooder got %v, want rate_limited with retry_after %v", e, cfg.RateLimitBackoff)
	}
	r, _ := h.srv.reg.get(resp.RoomID)
	waitFor(t, "drop noticed", func() bool { return r.players.Load() == 1 })

	resume := netcode.Hello{Ticket: resp.Seats[0].Ticket, ResumeToken: w.ResumeToken}
	// At once (the clock has not moved): refused, with at most the whole
	// back-off left.
	quick := dialRaw(t, h.dialer("mem"))
	quick.hello(resume)
	e = quick.waitClosed(t)
	if e == nil || e.Code != netcode.CodeRateLimited || e.RetryAfter <= 0 || e.RetryAfter > cfg.RateLimitBackoff {
		t.Fatalf("resume during the back-off got %v, want rate_limited with 0 < retry_after <= %v", e, cfg.RateLimitBackoff)
	}
	if _, welcomed, _, _, _, _ := quick.state(); welcomed {
		t.Fatal("a resume during the back-off was welcomed")
	}
	// Most of the way through: still refused, with what is left.
	clk.add(cfg.RateLimitBackoff - 500*time.Millisecond)
	late := dialRaw(t, h.dialer("mem"))
	late.hello(resume)
	if e2 := late.waitClosed(t); e2 == nil || e2.Code != netcode.CodeRateLimited || e2.RetryAfter > 500*time.Millisecond || e2.RetryAfter <= 0 {
		t.Fatalf("resume 500 ms before the back-off ends got %v, want rate_limited with 0 < retry_after <= 500ms", e2)
	}
	// Waiting what the refusal stated is enough: the same token resumes.
	clk.add(500 * time.Millisecond)
	ok := dialRaw(t, h.dialer("mem"))
	ok.hello(resume)
	w2 := ok.waitWelcome(t)
	if w2.Seat != w.Seat || w2.ResumeToken == w.ResumeToken {
		t.Fatalf("resumed welcome %+v after %+v", w2, w)
	}
	// The seat plays on: inputs continue past the flood's (the server
	// consumed some of them) and are acknowledged.
	_, _, _, snaps, _, _ := ok.state()
	waitFor(t, "snapshots after the resume", func() bool {
		_, _, _, n, _, _ := ok.state()
		return n > snaps+3
	})
	ok.input(netcode.Input{Seq: 2001, MoveX: 1, CastSlot: -1})
	waitFor(t, "an input after the resume acknowledged", func() bool {
		ok.mu.Lock()
		defer ok.mu.Unlock()
		return ok.inputAck == 2001
	})
	if n := r.players.Load(); n != 2 {
		t.Fatalf("players %d after the resume, want 2", n)
	}
	if n := h.srv.metricValue("pantheon_room_admissions_total", "rate_limited"); n != 2 {
		t.Errorf("refused rate_limited resumes counted %v, want 2", n)
	}
	t.Logf("flood closed with retry_after %v; a resume at once was refused with %v left", cfg.RateLimitBackoff, e.RetryAfter)
}
