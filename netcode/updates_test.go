package netcode

import (
	"errors"
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// TestExpGolombRoundTrip: every order 0-31 round-trips values at the
// edges of each code length and of uint32, with the documented lengths,
// through one stream (so codes straddle the writer's 32-bit flushes).
func TestExpGolombRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	type code struct {
		v uint32
		k uint
	}
	var codes []code
	for k := uint(0); k <= 31; k++ {
		for _, v := range []uint32{0, 1, 1<<k - 1, 1 << k, 1<<k + 1, 1 << 31, math.MaxUint32 - 1, math.MaxUint32, rng.Uint32(), rng.Uint32() >> rng.IntN(32)} {
			codes = append(codes, code{v, k})
		}
	}
	var w bitWriter
	wantBits := 0
	for _, c := range codes {
		w.expGolomb(c.v, c.k)
		n := bits.Len64(uint64(c.v) + 1<<c.k)
		wantBits += 2*n - 1 - int(c.k)
	}
	w.write(1, 1) // a marker bit, then padding
	p := w.close()
	if want := (wantBits + 1 + 7) / 8; len(p) != want {
		t.Fatalf("stream of %d bytes, want %d", len(p), want)
	}
	br := bitReader{b: p}
	for i, c := range codes {
		v, err := br.expGolomb(c.k)
		if err != nil || v != c.v {
			t.Fatalf("code %d (k=%d): got %d %v, want %d", i, c.k, v, err, c.v)
		}
	}
	if b, err := br.read(1); err != nil || b != 1 {
		t.Fatalf("marker bit: %d %v", b, err)
	}
	if err := br.end(); err != nil {
		t.Fatal(err)
	}
	// Small values cost k+1 bits.
	var w2 bitWriter
	w2.expGolomb(5, 3)
	if w2.n != 4 || w2.acc != 0b1101 {
		t.Fatalf("expGolomb(5, 3) wrote %d bits %b, want 4 bits 1101", w2.n, w2.acc)
	}
}

// TestExpGolombRejectsOverlongCodes: a value over 32 bits, a run of zeros
// past the longest code and a truncated code are errors.
func TestExpGolombRejectsOverlongCodes(t *testing.T) {
	cases := map[string]struct {
		p []byte
		k uint
	}{
		"33 zeros with k=0":         {[]byte{0, 0, 0, 0, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff}, 0},
		"value 2^32 with k=0":       {[]byte{0, 0, 0, 0, 0x80, 0, 0, 0, 0x80}, 0},
		"2 zeros with k=31":         {[]byte{0x20, 0, 0, 0, 0, 0, 0, 0}, 31},
		"all zeros":                 {make([]byte, 64), 0},
		"truncated after the zeros": {[]byte{0x00, 0x01}, 0},
		"empty":                     {nil, 4},
	}
	for name, c := range cases {
		br := bitReader{b: c.p}
		if v, err := br.expGolomb(c.k); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %d, %v", name, v, err)
		}
	}
	// The longest legal code: 32 zeros then 33 bits, value 2^32-1 at k=0.
	var w bitWriter
	w.expGolomb(math.MaxUint32, 0)
	p := w.close()
	br := bitReader{b: p}
	if v, err := br.expGolomb(0); err != nil || v != math.MaxUint32 {
		t.Fatalf("longest code: %d %v (% x)", v, err, p)
	}
}

func TestZigzag(t *testing.T) {
	for _, c := range []struct {
		d int32
		u uint32
	}{{0, 0}, {-1, 1}, {1, 2}, {-2, 3}, {math.MaxInt32, math.MaxUint32 - 1}, {math.MinInt32, math.MaxUint32}} {
		if zigzag(c.d) != c.u || unzigzag(c.u) != c.d {
			t.Errorf("zigzag(%d) = %d, unzigzag(%d) = %d", c.d, zigzag(c.d), c.u, unzigzag(c.u))
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 10000 {
		d := int32(rng.Uint32())
		if unzigzag(zigzag(d)) != d {
			t.Fatalf("zigzag round trip of %d", d)
		}
	}
}

// TestUpdateStreamEdges round-trips deltas at the edges of the format:
// int32 overflow in both directions, all 32 fields changing, ids 0 and
// 2^32-1, one teleport among small moves, masks that differ from the
// default, and the most entities a snapshot may hold.
func TestUpdateStreamEdges(t *testing.T) {
	ent := func(id uint32, f func(*[MaxFields]int32)) Entity {
		e := Entity{ID: id}
		if f != nil {
			f(&e.Fields)
		}
		return e
	}
	all := func(v int32) func(*[MaxFields]int32) {
		return func(fs *[MaxFields]int32) {
			for i := range fs {
				fs[i] = v
			}
		}
	}
	extremes := []int32{math.MinInt32, math.MinInt32 + 1, -1, 0, 1, math.MaxInt32 - 1, math.MaxInt32}
	type pair struct {
		name      string
		base, cur []Entity
	}
	var cases []pair
	for _, a := range extremes {
		for _, b := range extremes {
			if a != b {
				cases = append(cases, pair{"every field from one extreme to another",
					[]Entity{ent(0, all(a)), ent(math.MaxUint32, all(b))},
					[]Entity{ent(0, all(b)), ent(math.MaxUint32, all(a))}})
			}
		}
	}
	var moves, moved []Entity
	for i := range uint32(40) {
		moves = append(moves, ent(10+3*i, func(f *[MaxFields]int32) { f[FieldX], f[FieldY] = int32(i), -int32(i) }))
		moved = append(moved, ent(10+3*i, func(f *[MaxFields]int32) { f[FieldX], f[FieldY] = int32(i)+7, -int32(i)-5 }))
	}
	moved[17].Fields[FieldX] = math.MaxInt32 // a teleport across the int32 range
	moved[18].Fields[FieldHP] = -1           // a mask other than the default
	moved[19].Fields = [MaxFields]int32{}    // every field back to 0
	cases = append(cases, pair{"moves with a teleport and odd masks", moves, moved})

	var big, bigger []Entity
	for i := range uint32(MaxSnapshotEntries) {
		big = append(big, ent(i*7, all(int32(i))))
		bigger = append(bigger, big[i])
		bigger[i].Fields[0]++
		bigger[i].Fields[MaxFields-1] -= int32(i)
	}
	cases = append(cases, pair{"8192 entities, the first and last field changed", big, bigger})

	for _, c := range cases {
		base := &Snapshot{Tick: 1 << 20, Entities: c.base}
		cur := &Snapshot{Tick: 1<<20 + 3, Entities: c.cur}
		roundTrip(t, base, cur)
		var f SnapshotFrame
		if err := DecodeSnapshot(AppendSnapshot(nil, base, cur, 7), &f); err != nil || len(f.Updated) != len(c.cur) || f.Base != base.Tick {
			t.Fatalf("%s: %d updated, base %d, %v", c.name, len(f.Updated), f.Base, err)
		}
	}
	// One entity past the limit is refused.
	over := &Snapshot{Tick: 9, Entities: append(append([]Entity(nil), big...), ent(math.MaxUint32, nil))}
	overCur := &Snapshot{Tick: 10, Entities: append(append([]Entity(nil), bigger...), ent(math.MaxUint32, all(1)))}
	if err := over.Validate(); err != nil {
		t.Fatal(err)
	}
	var f SnapshotFrame
	if err := DecodeSnapshot(AppendSnapshot(nil, over, overCur, 0), &f); !errors.Is(err, ErrMalformed) {
		t.Fatalf("%d updated entities: %v", len(overCur.Entities), err)
	}
}

// deltaFrame wraps an update stream in a snapshot frame of tick 5 against
// baseline 4.
func deltaFrame(stream []byte) []byte {
	fr := []byte{0x97, 0x11, 0x05, 0x01, 0x00, 0x90}
	fr = appendBinLen(fr, len(stream))
	fr = append(fr, stream...)
	return append(fr, 0x90)
}

// stream builds an update stream from (value, width) pairs and Exp-Golomb
// codes written by fn.
func stream(fn func(w *bitWriter)) []byte {
	var w bitWriter
	fn(&w)
	return w.close()
}

// TestUpdateStreamRejectsHostileStreams: each broken rule of the update
// stream is ErrMalformed, never a panic or a large allocation.
func TestUpdateStreamRejectsHostileStreams(t *testing.T) {
	// header: count-1, union, k per union field, k_id, default mask.
	header := func(w *bitWriter, count uint32, union uint32, def uint64) {
		w.expGolomb(count-1, 0)
		w.expGolomb(union, 0)
		for range bits.OnesCount32(union) {
			w.write(2, 5)
		}
		w.write(1, 5)
		w.write(def, uint(bits.OnesCount32(union)))
	}
	valid := stream(func(w *bitWriter) {
		header(w, 1, 1<<FieldX, 1)
		w.expGolomb(7, 1) // id 7
		w.write(0, 1)     // default mask
		w.expGolomb(zigzag(-3), 2)
	})
	var f SnapshotFrame
	if err := DecodeSnapshot(deltaFrame(valid), &f); err != nil || len(f.Updated) != 1 || f.Updated[0].ID != 7 || f.Updated[0].Fields[FieldX] != -3 {
		t.Fatalf("hand-made stream: %+v %v", f.Updated, err)
	}
	hostile := map[string][]byte{
		"count over the entity limit": stream(func(w *bitWriter) { header(w, MaxSnapshotEntries+1, 1, 1) }),
		"count of 2^32":               stream(func(w *bitWriter) { w.expGolomb(math.MaxUint32, 0) }),
		"no field in the union":       stream(func(w *bitWriter) { header(w, 1, 0, 0) }),
		"empty default mask used": stream(func(w *bitWriter) {
			header(w, 1, 1<<FieldX, 0)
			w.expGolomb(7, 1)
			w.write(0, 1)
		}),
		"empty own mask": stream(func(w *bitWriter) {
			header(w, 1, 1<<FieldX, 1)
			w.expGolomb(7, 1)
			w.write(1, 1)
			w.write(0, 1)
		}),
		"id overflows uint32": stream(func(w *bitWriter) {
			header(w, 2, 1<<FieldX, 1)
			w.expGolomb(math.MaxUint32, 1)
			w.write(0, 1)
			w.expGolomb(0, 2)
			w.expGolomb(0, 1) // id 2^32
			w.write(0, 1)
			w.expGolomb(0, 2)
		}),
		"value code over 32 bits": stream(func(w *bitWriter) {
			header(w, 1, 1<<FieldX, 1)
			w.expGolomb(7, 1)
			w.write(0, 1)
			w.write(0, 32) // 32 zeros with k=2
		}),
		"entities missing":             stream(func(w *bitWriter) { header(w, 3, 1<<FieldX, 1) }),
		"non-zero padding":             append(valid[:len(valid)-1:len(valid)-1], valid[len(valid)-1]|1),
		"a zero byte after the stream": append(append([]byte(nil), valid...), 0),
		"stream cut in its header":     valid[:2],
	}
	for name, s := range hostile {
		if err := DecodeSnapshot(deltaFrame(s), &f); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v (stream % x)", name, err, s)
		}
	}
	// The bin itself: longer than the frame, and not a bin.
	fr := deltaFrame(valid)
	fr[7] = 0xff
	if err := DecodeSnapshot(fr, &f); !errors.Is(err, ErrMalformed) {
		t.Errorf("bin longer than the frame: %v", err)
	}
	fr = []byte{0x97, 0x11, 0x05, 0x01, 0x00, 0x90, 0x90, 0x90}
	if err := DecodeSnapshot(fr, &f); !errors.Is(err, ErrMalformed) {
		t.Errorf("updated as an array (version 1 layout): %v", err)
	}
}

// TestDeltaFrameBitFlips flips every bit of real delta frames: each
// mutant is rejected with an error or decodes to a frame whose re-encoding
// applies to the same world. Nothing panics.
func TestDeltaFrameBitFlips(t *testing.T) {
	w := newTestWorld(11, 4, 8)
	w.churn = true
	base := &Snapshot{}
	base.CopyFrom(w.step())
	for range 3 {
		w.step()
	}
	valid := AppendSnapshot(nil, base, &w.snap, 77)
	accepted := 0
	for i := range 8 * len(valid) {
		fr := append([]byte(nil), valid...)
		fr[i/8] ^= 0x80 >> (i % 8)
		ok, err := reapply(fr, base)
		if errors.Is(err, errDecode) {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownKind) && !errors.Is(err, ErrFrameTooLarge) {
				t.Fatalf("bit %d: unexpected error %v", i, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("bit %d: %v", i, err)
		}
		if ok {
			accepted++
		}
	}
	t.Logf("%d of %d single-bit mutants of a %d-byte frame decode and apply", accepted, 8*len(valid), len(valid))
}

// TestDeltaEncoderSteadyStateAllocs: once its buffers have grown, a
// DeltaEncoder encodes without allocating.
func TestDeltaEncoderSteadyStateAllocs(t *testing.T) {
	snaps := benchSnapshots(40, 400)
	ring := NewSnapshotRing(2 * len(snaps))
	for _, s := range snaps {
		ring.Put(s)
	}
	enc := NewDeltaEncoder(ring)
	for k := 1; k < len(snaps); k++ { // grow the buffers
		enc.acked = snaps[k-1].Tick
		enc.Encode(snaps[k], 1)
	}
	k := 0
	allocs := testing.AllocsPerRun(100, func() {
		k = 1 + k%benchTicks
		enc.acked = snaps[k-1].Tick
		enc.Encode(snaps[k], 1)
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per steady-state delta", allocs)
	}
}
