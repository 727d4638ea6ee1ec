package netcode

// SnapshotRing keeps the last N snapshots by tick: the baselines deltas
// are encoded against. A room that sends every client the same world keeps
// one ring and shares it among its clients' DeltaEncoders; a server with
// per-client views keeps one per client. Not safe for concurrent use.
type SnapshotRing struct {
	slots []Snapshot
}

// NewSnapshotRing returns a ring of n slots (n >= 1). At 30 Hz, 32 slots
// cover about a second of unacknowledged snapshots; a client whose ack is
// older than the ring gets a full snapshot.
func NewSnapshotRing(n int) *SnapshotRing {
	return &SnapshotRing{slots: make([]Snapshot, max(n, 1))}
}

// Put stores a copy of s (s.Tick != 0), replacing the snapshot whose tick
// shares its slot. It does not allocate once each slot has held the
// largest world.
func (r *SnapshotRing) Put(s *Snapshot) {
	r.slots[int(s.Tick%uint32(len(r.slots)))].CopyFrom(s)
}

// Get returns the stored snapshot of the given tick, or nil when it was
// never stored or has been overwritten. The result is valid until the next
// Put and must not be modified.
func (r *SnapshotRing) Get(tick uint32) *Snapshot {
	if tick == 0 {
		return nil
	}
	s := &r.slots[int(tick%uint32(len(r.slots)))]
	if s.Tick != tick {
		return nil
	}
	return s
}

// Len returns the number of slots.
func (r *SnapshotRing) Len() int { return len(r.slots) }
