package client

import (
	"fmt"

	"github.com/pantheon-oracles/pantheon/netcode"
)

// world is the client's reconstruction of the server's world: a ring of
// the snapshots it applied, which serve as baselines for the deltas that
// follow (the server encodes against the newest tick the client acked, and
// acks can be late or lost).
type world struct {
	ring    *netcode.SnapshotRing
	scratch netcode.Snapshot
	latest  uint32 // newest applied tick, 0 none
	frame   netcode.SnapshotFrame
}

func newWorld(n int) *world { return &world{ring: netcode.NewSnapshotRing(n)} }

func (w *world) get(tick uint32) *netcode.Snapshot { return w.ring.Get(tick) }

// errStale and errNoBaseline are expected on a lossy link and counted,
// not fatal.
var (
	errStale      = fmt.Errorf("client: stale snapshot")
	errNoBaseline = fmt.Errorf("client: snapshot baseline not held")
)

// apply decodes a snapshot frame, applies it to its baseline and stores
// the result. It returns the new snapshot (valid until the ring wraps).
// Malformed frames and contradictions with a held baseline are errors.
func (w *world) apply(p []byte) (*netcode.Snapshot, error) {
	f := &w.frame
	if err := netcode.DecodeSnapshot(p, f); err != nil {
		return nil, err
	}
	if f.Tick <= w.latest {
		return nil, errStale
	}
	var base *netcode.Snapshot
	if f.Base != 0 {
		if base = w.get(f.Base); base == nil {
			return nil, errNoBaseline
		}
	}
	if err := netcode.Apply(base, f, &w.scratch); err != nil {
		return nil, err
	}
	// Applied into scratch first: the new tick's slot may hold the baseline.
	w.ring.Put(&w.scratch)
	w.latest = f.Tick
	return w.ring.Get(f.Tick), nil
}
