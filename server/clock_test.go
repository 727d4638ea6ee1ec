package server

import (
	"math/rand/v2"
	"testing"
	"time"
)

var clockOrigin = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestClockSteady(t *testing.T) {
	c := NewClock(30, 4)
	step := c.Step()
	total := 0
	for i := 0; i < 300; i++ {
		n, late := c.Advance(clockOrigin.Add(time.Duration(i) * step))
		if n != 1 || late != 0 {
			t.Fatalf("call %d: got n=%d lateness=%v, want 1 tick on time", i, n, late)
		}
		total += n
	}
	st := c.Stats()
	if st.Ticks != 300 || st.Late != 0 || st.Skipped != 0 {
		t.Fatalf("stats %+v, want 300 ticks, none late or skipped", st)
	}
	// Between due times nothing is owed.
	if n, _ := c.Advance(clockOrigin.Add(300*step - time.Microsecond)); n != 0 {
		t.Fatalf("before due: got %d ticks", n)
	}
}

func TestClockJitteryKeepsRateWithoutDrift(t *testing.T) {
	c := NewClock(60, 4)
	step := c.Step()
	rng := rand.New(rand.NewPCG(1, 2))
	// Wake up at each due time plus up to 90% of a step of jitter, sometimes
	// early (which owes nothing and must not be counted).
	total := 0
	const periods = 600
	for i := 0; i < periods; i++ {
		due := clockOrigin.Add(time.Duration(i) * step)
		if i > 0 && rng.IntN(5) == 0 { // the first Advance sets the phase
			n, _ := c.Advance(due.Add(-step / 3))
			total += n
		}
		jitter := time.Duration(rng.Int64N(int64(step) * 9 / 10))
		if i == 0 {
			jitter = 0
		}
		n, late := c.Advance(due.Add(jitter))
		if late >= step {
			t.Fatalf("period %d: lateness %v >= step with sub-step jitter", i, late)
		}
		total += n
	}
	if total != periods {
		t.Fatalf("ran %d ticks over %d periods, want exactly one per period", total, periods)
	}
	if st := c.Stats(); st.Late != 0 || st.Skipped != 0 {
		t.Fatalf("stats %+v: sub-step jitter must not make ticks late or skipped", st)
	}
}

func TestClockStalledCapsAndSkips(t *testing.T) {
	c := NewClock(30, 4)
	step := c.Step()
	c.Advance(clockOrigin) // tick 0
	// The process stalls for 10 s: 300 ticks are owed, 4 run, the rest skipped.
	stall := clockOrigin.Add(10 * time.Second)
	n, late := c.Advance(stall)
	if n != 4 {
		t.Fatalf("after stall got %d ticks, want the cap of 4", n)
	}
	if late != 10*time.Second-step {
		t.Fatalf("lateness %v, want %v", late, 10*time.Second-step)
	}
	st := c.Stats()
	owed := uint64((10*time.Second-step)/step) + 1
	if st.Skipped != owed-4 || st.Late != 4 || st.Ticks != 5 {
		t.Fatalf("stats %+v, want skipped=%d late=4 ticks=5", st, owed-4)
	}
	// The schedule restarted from the stall: next tick one step later, on time.
	if !c.Next().Equal(stall.Add(step)) {
		t.Fatalf("next due %v, want %v", c.Next(), stall.Add(step))
	}
	if n, late := c.Advance(stall.Add(step)); n != 1 || late != 0 {
		t.Fatalf("after restart got n=%d lateness=%v, want 1 on time", n, late)
	}
}

func TestClockCatchesUpWithinCap(t *testing.T) {
	c := NewClock(20, 8)
	step := c.Step()
	c.Advance(clockOrigin)
	// One slow tick: woken 3.5 steps after tick 1 was due.
	n, late := c.Advance(clockOrigin.Add(step + step*7/2))
	if n != 4 || late != step*7/2 {
		t.Fatalf("got n=%d lateness=%v, want 4 ticks, %v late", n, late, step*7/2)
	}
	// The schedule did not restart: tick 5 is due at origin+5 steps.
	if !c.Next().Equal(clockOrigin.Add(5 * step)) {
		t.Fatalf("next due %v, want origin+5 steps", c.Next())
	}
	if n, _ := c.Advance(clockOrigin.Add(5 * step)); n != 1 {
		t.Fatalf("back on schedule: got %d ticks", n)
	}
	if st := c.Stats(); st.Ticks != 6 || st.Late != 3 || st.Skipped != 0 {
		t.Fatalf("stats %+v, want ticks=6 late=3 skipped=0", st)
	}
}

func TestClockTimeGoingBackwardsOwesNothing(t *testing.T) {
	c := NewClock(30, 4)
	c.Advance(clockOrigin.Add(time.Second))
	if n, _ := c.Advance(clockOrigin); n != 0 {
		t.Fatalf("got %d ticks for an earlier now", n)
	}
}
