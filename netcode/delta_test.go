package netcode

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// randomSnapshot builds a snapshot of up to n entities with random ids and
// random values in all 32 fields, including extremes.
func randomSnapshot(rng *rand.Rand, tick uint32, n int) *Snapshot {
	s := &Snapshot{Tick: tick}
	id := uint32(rng.IntN(3))
	for range rng.IntN(n + 1) {
		var e Entity
		e.ID = id
		for f := range MaxFields {
			switch rng.IntN(6) {
			case 0:
				e.Fields[f] = int32(rng.Uint32())
			case 1:
				e.Fields[f] = rng.Int32N(200) - 100
			case 2:
				e.Fields[f] = [...]int32{-1 << 31, 1<<31 - 1, -1, 0}[rng.IntN(4)]
			}
		}
		s.Entities = append(s.Entities, e)
		id += 1 + uint32(rng.IntN(1000))
		if rng.IntN(50) == 0 {
			id += uint32(rng.Uint32() >> 4)
		}
		if id < s.Entities[len(s.Entities)-1].ID {
			break
		}
	}
	return s
}

// mutate returns a changed copy of s at tick: some entities removed, some
// created; about half move a little in x and y (the update stream's
// default mask), some change random fields by any amount, some jump to
// the int32 extremes (overflowing differences).
func mutate(rng *rand.Rand, s *Snapshot, tick uint32) *Snapshot {
	n := &Snapshot{Tick: tick}
	for _, e := range s.Entities {
		if rng.IntN(10) == 0 {
			continue // removed
		}
		if rng.IntN(2) == 0 {
			e.Fields[FieldX] += rng.Int32N(41) - 20
			e.Fields[FieldY] += rng.Int32N(41) - 20
		}
		for range rng.IntN(4) {
			f := rng.IntN(MaxFields)
			e.Fields[f] += int32(rng.Uint32()) >> rng.IntN(32)
		}
		if rng.IntN(8) == 0 {
			e.Fields[rng.IntN(MaxFields)] = [...]int32{-1 << 31, 1<<31 - 1, -1, 0}[rng.IntN(4)]
		}
		n.Entities = append(n.Entities, e)
	}
	// create entities in the gaps
	extra := randomSnapshot(rng, tick, 6)
	for _, e := range extra.Entities {
		if s.Find(e.ID) == nil && n.Find(e.ID) == nil {
			n.Entities = append(n.Entities, e)
			sortEntities(n.Entities)
		}
	}
	return n
}

func sortEntities(es []Entity) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && es[j].ID < es[j-1].ID; j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

func roundTrip(t *testing.T, base, cur *Snapshot) {
	t.Helper()
	frame := AppendSnapshot(nil, base, cur, 7)
	var f SnapshotFrame
	if err := DecodeSnapshot(frame, &f); err != nil {
		t.Fatalf("decode: %v\nframe % x", err, frame)
	}
	if f.InputAck != 7 || f.Tick != cur.Tick {
		t.Fatalf("header: tick %d ack %d", f.Tick, f.InputAck)
	}
	var out Snapshot
	if err := Apply(base, &f, &out); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if !out.Equal(cur) {
		t.Fatalf("tick %d: reconstructed snapshot differs from the original", cur.Tick)
	}
}

// TestDeltaRoundTripProperty: for random entity sets and random change
// sequences, applying each delta to its baseline reproduces the current
// snapshot exactly, and a full snapshot reproduces it from nothing.
func TestDeltaRoundTripProperty(t *testing.T) {
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 1))
		cur := randomSnapshot(rng, 1, 40)
		if err := cur.Validate(); err != nil {
			t.Fatal(err)
		}
		roundTrip(t, nil, cur)
		for tick := uint32(2); tick < 12; tick++ {
			next := mutate(rng, cur, tick)
			if err := next.Validate(); err != nil {
				t.Fatal(err)
			}
			roundTrip(t, cur, next)
			roundTrip(t, nil, next)
			cur = next
		}
	}
}

// TestDeltaUnchangedWorldIsHeaderOnly: an idle room costs the bare header.
func TestDeltaUnchangedWorldIsHeaderOnly(t *testing.T) {
	w := newTestWorld(1, 8, 24)
	base := &Snapshot{}
	base.CopyFrom(&w.snap)
	cur := &Snapshot{}
	cur.CopyFrom(base)
	cur.Tick++
	frame := AppendSnapshot(nil, base, cur, 3)
	// [17, tick, base_age, ack, [], bin(0), []] = 1 + 1 + 1 + 1 + 1 + 1 + 2 + 1
	if len(frame) != 9 {
		t.Fatalf("idle delta is %d bytes (% x), want 9", len(frame), frame)
	}
}

// TestDeltaEncoderWithLostFrames drives a DeltaEncoder and a client-side
// reconstruction through random frame loss and late acks: every frame the
// client can apply reproduces the server's snapshot of that tick, and the
// encoder only ever encodes against baselines the client acknowledged.
func TestDeltaEncoderWithLostFrames(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 2))
		w := newTestWorld(seed, 8, 24)
		w.churn = true
		ring := NewSnapshotRing(16)
		enc := NewDeltaEncoder(ring)
		client := map[uint32]*Snapshot{} // what the client reconstructed, by tick
		var f SnapshotFrame
		applied := 0
		for range 300 {
			cur := w.step()
			ring.Put(cur)
			frame := enc.Encode(cur, 0)
			if rng.IntN(4) == 0 {
				continue // lost
			}
			if err := DecodeSnapshot(frame, &f); err != nil {
				t.Fatal(err)
			}
			var base *Snapshot
			if f.Base != 0 {
				base = client[f.Base]
				if base == nil {
					t.Fatalf("tick %d: encoded against %d, which the client never acked", f.Tick, f.Base)
				}
			}
			out := &Snapshot{}
			if err := Apply(base, &f, out); err != nil {
				t.Fatal(err)
			}
			if !out.Equal(cur) {
				t.Fatalf("tick %d: client world differs", cur.Tick)
			}
			applied++
			client[out.Tick] = out
			if rng.IntN(3) != 0 { // ack lost otherwise
				enc.Ack(out.Tick)
			}
		}
		if applied < 150 {
			t.Fatalf("only %d frames applied", applied)
		}
	}
}

func TestDeltaEncoderRejectsUnsentAcks(t *testing.T) {
	w := newTestWorld(3, 2, 2)
	ring := NewSnapshotRing(8)
	enc := NewDeltaEncoder(ring)
	s := w.step()
	ring.Put(s)
	enc.Encode(s, 0)
	if enc.Ack(s.Tick + 1) {
		t.Fatal("ack of a tick never sent was accepted")
	}
	if !enc.Ack(s.Tick) || enc.Baseline() != s.Tick {
		t.Fatal("ack of a sent tick was refused")
	}
	if enc.Ack(s.Tick) {
		t.Fatal("a repeated ack moved the baseline")
	}
	// Once the ring has overwritten the baseline, the next frame is full.
	for range 8 {
		ring.Put(w.step())
	}
	if enc.Baseline() != 0 {
		t.Fatalf("baseline %d survived the ring", enc.Baseline())
	}
	enc.Resume(w.snap.Tick)
	if enc.Baseline() != w.snap.Tick {
		t.Fatal("resume from a tick the ring holds did not set the baseline")
	}
}

func TestApplyRejectsContradictions(t *testing.T) {
	base := &Snapshot{Tick: 5, Entities: []Entity{{ID: 1}, {ID: 3}}}
	cases := map[string]SnapshotFrame{
		"wrong base":           {Tick: 6, Base: 4},
		"create existing":      {Tick: 6, Base: 5, Created: []EntityDelta{{ID: 3}}},
		"update missing":       {Tick: 6, Base: 5, Updated: []EntityDelta{{ID: 2, Mask: 1}}},
		"update past the end":  {Tick: 6, Base: 5, Updated: []EntityDelta{{ID: 9, Mask: 1}}},
		"remove missing":       {Tick: 6, Base: 5, Removed: []uint32{2}},
		"update and remove":    {Tick: 6, Base: 5, Updated: []EntityDelta{{ID: 3, Mask: 1}}, Removed: []uint32{3}},
		"remove past the end":  {Tick: 6, Base: 5, Removed: []uint32{4}},
		"update before create": {Tick: 6, Base: 5, Updated: []EntityDelta{{ID: 0, Mask: 1}}},
	}
	for name, f := range cases {
		var out Snapshot
		if err := Apply(base, &f, &out); !errors.Is(err, ErrBaseline) {
			t.Errorf("%s: got %v, want ErrBaseline", name, err)
		}
	}
}

// TestSnapshotIsPlainMsgpack: msgpack/v5, as a reference decoder on
// trusted bytes, reads a delta frame as the layout PROTOCOL.md gives:
// [17, tick, base_age, input_ack, created array, updated bin, removed array].
func TestSnapshotIsPlainMsgpack(t *testing.T) {
	base, cur := exampleDelta()
	var generic []any
	if err := msgpack.Unmarshal(AppendSnapshot(nil, base, cur, 42), &generic); err != nil {
		t.Fatal(err)
	}
	if len(generic) != 7 {
		t.Fatalf("%d elements: %#v", len(generic), generic)
	}
	created, ok1 := generic[4].([]any)
	updated, ok2 := generic[5].([]byte)
	removed, ok3 := generic[6].([]any)
	if !ok1 || !ok2 || !ok3 || len(created) != 9 || len(updated) != 13 || len(removed) != 1 {
		t.Fatalf("layout: %#v", generic)
	}
	if fmt.Sprint(generic[:4]) != "[17 101 1 42]" {
		t.Fatalf("header %v", generic[:4])
	}
}
