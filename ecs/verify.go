package ecs

import (
	"fmt"
	"strings"

	"github.com/pantheon-oracles/pantheon/ecs/content"
)

// Divergence is where a re-simulated replay first differs from its record.
type Divergence struct {
	Tick     int    // the first tick that differs, from 1
	Recorded uint64 // the recorded state hash of that tick (0 if none)
	Replayed uint64 // the re-simulated state hash (0 if none)
	Reason   string // what differs, for people
}

// String renders the divergence on one line.
func (d *Divergence) String() string {
	return fmt.Sprintf("diverged at tick %d: %s", d.Tick, d.Reason)
}

// VerifyReplay re-simulates r against c and compares every tick's state
// hash with the recorded one. It returns nil, nil when all match; the first
// divergent tick otherwise. The error is for replays that cannot be
// re-simulated at all: another content version (ErrContentMismatch) or a
// config New refuses (ErrInvalidConfig).
func VerifyReplay(c *content.Bundle, r *Replay) (*Divergence, error) {
	if r.ContentVersion != c.Version() {
		return nil, fmt.Errorf("%w: replay has %q, this content is %q", ErrContentMismatch, r.ContentVersion, c.Version())
	}
	sim, err := New(c, Config{Mode: r.Mode, Arena: r.Arena, Seed: r.Seed, Seats: r.Seats})
	if err != nil {
		return nil, fmt.Errorf("ecs: replay: %w", err)
	}
	for i, t := range r.Ticks {
		if sim.Done() {
			return &Divergence{Tick: i + 1, Recorded: t.Hash,
				Reason: fmt.Sprintf("the re-simulated match ended at tick %d, but the replay records %d ticks", sim.Tick(), len(r.Ticks))}, nil
		}
		out := sim.Step(t.Inputs)
		if out.Hash != t.Hash {
			return &Divergence{Tick: out.Tick, Recorded: t.Hash, Replayed: out.Hash,
				Reason: fmt.Sprintf("state hash %#016x recorded, %#016x re-simulated; inputs at this tick: %s",
					t.Hash, out.Hash, describeInputs(t.Inputs))}, nil
		}
	}
	return nil, nil
}

// describeInputs lists a tick's inputs briefly (at most eight).
func describeInputs(in []Input) string {
	if len(in) == 0 {
		return "none"
	}
	var b strings.Builder
	for i, x := range in {
		if i == 8 {
			fmt.Fprintf(&b, "; and %d more", len(in)-8)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "seat %d seq %d move (%d,%d) facing %d cast %d target %d point (%d,%d) channel %d gesture %d",
			x.Seat, x.Seq, x.MoveX, x.MoveY, x.Facing, x.Cast, x.Target, x.PointX, x.PointY, x.Channel, x.Gesture)
	}
	return b.String()
}
