package netcode

// DeltaEncoder is one client's side of the snapshot stream on the server:
// it remembers which ticks it sent and the newest tick the client
// acknowledged, and encodes each new snapshot against that baseline (a
// full snapshot when there is none, or when the ring no longer holds it).
// Not safe for concurrent use: the room's goroutine owns it.
type DeltaEncoder struct {
	ring  *SnapshotRing
	acked uint32 // newest acknowledged tick still usable as a baseline, 0 none
	// sentHi is the newest tick sent; bit k of sent means tick sentHi-k was
	// sent. Acks for ticks not sent to this client are ignored, so a client
	// cannot make the server encode against a world it never received.
	sentHi uint32
	sent   uint64
	buf    []byte
	w      snapshotEncoder
}

// NewDeltaEncoder returns an encoder whose baselines come from ring. The
// caller must Put every snapshot into ring before encoding it.
func NewDeltaEncoder(ring *SnapshotRing) *DeltaEncoder {
	return &DeltaEncoder{ring: ring}
}

// Encode returns the snapshot frame for cur, delta-encoded against the
// newest acknowledged baseline still in the ring. The returned slice is
// reused by the next Encode: write it out (or copy it) first. Zero
// allocations once the internal buffer has grown to the largest frame.
func (e *DeltaEncoder) Encode(cur *Snapshot, inputAck uint32) []byte {
	base := e.ring.Get(e.acked)
	e.buf = e.w.append(e.buf[:0], base, cur, inputAck)
	e.markSent(cur.Tick)
	return e.buf
}

// Baseline returns the tick the next Encode will use as its baseline, 0
// for a full snapshot.
func (e *DeltaEncoder) Baseline() uint32 {
	if e.ring.Get(e.acked) == nil {
		return 0
	}
	return e.acked
}

// Ack records the client's acknowledgement of tick. It returns false and
// changes nothing when tick is not newer than the current baseline or was
// not sent to this client within the last 64 sent ticks.
func (e *DeltaEncoder) Ack(tick uint32) bool {
	if tick <= e.acked || tick > e.sentHi || e.sentHi-tick >= 64 || e.sent&(1<<(e.sentHi-tick)) == 0 {
		return false
	}
	e.acked = tick
	return true
}

// Resume starts a resumed session from the client's claim that it holds
// the snapshot of tick (hello LastAckTick). The claim is used as the
// baseline only while the ring still holds that tick; otherwise the next
// snapshot is full. A client that lies only corrupts its own view.
func (e *DeltaEncoder) Resume(tick uint32) {
	e.acked, e.sentHi, e.sent = 0, 0, 0
	if e.ring.Get(tick) != nil {
		e.acked = tick
	}
}

func (e *DeltaEncoder) markSent(tick uint32) {
	switch {
	case tick > e.sentHi:
		if d := tick - e.sentHi; d < 64 {
			e.sent = e.sent<<d | 1
		} else {
			e.sent = 1
		}
		e.sentHi = tick
	case e.sentHi-tick < 64:
		e.sent |= 1 << (e.sentHi - tick)
	}
}
