package server

import "time"

// Clock is a fixed-timestep clock in the style of ebiten's internal/clock:
// it never reads the time itself. The caller passes `now` to Advance and gets
// back how many ticks are owed; catch-up is capped so a stalled room runs in
// "slow motion" for a moment instead of spiralling into ever longer bursts.
//
// A Clock is not safe for concurrent use; the goroutine that owns the room
// owns its clock.
type Clock struct {
	step     time.Duration
	maxBurst int

	started bool
	next    time.Time // due time of the next tick

	ticks   uint64 // ticks handed out
	late    uint64 // ticks run later than one step after their due time
	skipped uint64 // ticks dropped because the catch-up cap was hit
}

// NewClock returns a clock for rate ticks per second that hands out at most
// maxBurst ticks per Advance (values below 1 mean 1). The first tick is due
// at the first Advance. rate must be positive.
func NewClock(rate, maxBurst int) *Clock {
	if rate <= 0 {
		panic("server: NewClock: rate must be positive")
	}
	if maxBurst < 1 {
		maxBurst = 1
	}
	return &Clock{step: time.Second / time.Duration(rate), maxBurst: maxBurst}
}

// Step is the duration of one tick.
func (c *Clock) Step() time.Duration { return c.step }

// Advance returns how many ticks are owed at now (0..maxBurst) and how late
// the first of them is (now minus its due time; 0 when none is owed). Ticks
// owed beyond the cap are skipped and counted, and the schedule restarts
// from now, so the clock never drifts further and further behind. A now
// earlier than the previous one (which a monotonic clock never gives) owes
// nothing.
func (c *Clock) Advance(now time.Time) (n int, lateness time.Duration) {
	if !c.started {
		c.started = true
		c.next = now
	}
	if now.Before(c.next) {
		return 0, 0
	}
	behind := now.Sub(c.next)
	owed := int64(behind/c.step) + 1
	run := owed
	if run > int64(c.maxBurst) {
		run = int64(c.maxBurst)
		c.skipped += uint64(owed - run)
		// Restart the schedule: the next tick is due one step from now.
		c.next = now.Add(c.step)
	} else {
		c.next = c.next.Add(time.Duration(owed) * c.step)
	}
	// Tick i of the owed ones was due at (first due + i*step); all but the
	// last owed one are a full step or more behind: those are late.
	c.late += uint64(min(owed-1, run))
	c.ticks += uint64(run)
	return int(run), behind
}

// Next is the due time of the next tick; the zero time before the first
// Advance. A scheduler sleeps until the earliest Next of its rooms.
func (c *Clock) Next() time.Time { return c.next }

// ClockStats are a clock's counters since it was created.
type ClockStats struct {
	Ticks   uint64 // ticks handed out by Advance
	Late    uint64 // of those, ticks run a full step or more after they were due
	Skipped uint64 // ticks dropped by the catch-up cap
}

// Stats returns the clock's counters.
func (c *Clock) Stats() ClockStats {
	return ClockStats{Ticks: c.ticks, Late: c.late, Skipped: c.skipped}
}
