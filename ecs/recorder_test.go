package ecs

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// TestRecorderChunkSizes: a chunk's header and storage are exactly one
// allocation of its nominal size, so no chunk spills into a larger size
// class.
func TestRecorderChunkSizes(t *testing.T) {
	if got := unsafe.Sizeof(chunk{}); got != chunkHeaderBytes {
		t.Fatalf("chunk header is %d bytes, chunkHeaderBytes says %d", got, chunkHeaderBytes)
	}
	if got := unsafe.Sizeof(smallChunk{}); got != firstChunkBytes {
		t.Fatalf("first chunk is %d bytes, want %d", got, firstChunkBytes)
	}
	if got := unsafe.Sizeof(fullChunk{}); got != chunkBytes {
		t.Fatalf("chunk is %d bytes, want %d", got, chunkBytes)
	}
}

// TestRecorderMatchesFlatBody: random-length writes, many straddling a
// chunk boundary, read back as exactly the bytes written, in order; every
// chunk but the last is full, and the chunk count is the least that holds
// them.
func TestRecorderMatchesFlatBody(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	r := newRecorder()
	var flat []byte
	for range 20_000 {
		p := make([]byte, rng.IntN(maxInputBytes+1))
		for i := range p {
			p[i] = byte(rng.Uint32())
		}
		r.write(p)
		flat = append(flat, p...)
	}
	if got := r.appendBody(nil); !bytes.Equal(got, flat) {
		t.Fatalf("body differs from the bytes written (%d vs %d bytes)", len(got), len(flat))
	}
	if r.size != len(flat) {
		t.Fatalf("size %d, wrote %d", r.size, len(flat))
	}
	want := 1 + (len(flat)-(firstChunkBytes-chunkHeaderBytes)+(chunkBytes-chunkHeaderBytes)-1)/(chunkBytes-chunkHeaderBytes)
	if r.chunks != want {
		t.Fatalf("%d chunks for %d bytes, want %d", r.chunks, len(flat), want)
	}
	n := 0
	for c := r.head; c != nil; c = c.next {
		if n++; c.next != nil && len(c.buf) != cap(c.buf) {
			t.Fatalf("chunk %d holds %d of %d bytes but is not the last", n, len(c.buf), cap(c.buf))
		}
	}
	if n != r.chunks {
		t.Fatalf("%d chunks linked, %d counted", n, r.chunks)
	}
}

// TestLongMatchReplayAcrossChunks: a raid recorded over many chunks
// encodes to the same bytes as re-encoding its decoded replay, and the
// replay verifies.
func TestLongMatchReplayAcrossChunks(t *testing.T) {
	c := mustContent(t)
	s, sc := newEpisode(t, c, benchCases()[4], 5)
	for range 300 {
		if s.Step(sc.inputs()).Done {
			break
		}
	}
	if s.rec.chunks < 5 {
		t.Fatalf("only %d chunks after %d ticks: not a multi-chunk record", s.rec.chunks, s.Tick())
	}
	raw := s.encodeReplay()
	rp, err := DecodeReplay(raw)
	if err != nil {
		t.Fatal(err)
	}
	again, err := EncodeReplay(rp)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, again) {
		t.Fatal("the sim's replay and its re-encoding differ")
	}
	if len(rp.Ticks) != s.Tick() {
		t.Fatalf("%d ticks recorded, %d played", len(rp.Ticks), s.Tick())
	}
	if div, err := VerifyReplay(c, rp); err != nil || div != nil {
		t.Fatalf("verify: %v %+v", err, div)
	}
}
