package ecs

import "encoding/binary"

// The recorder keeps the replay body (every tick's inputs and hash, in the
// encoding replay.go documents) in a list of chunks: one small chunk made
// by New, then fixed-size chunks added as the match records more. A full
// chunk is never copied or resized, so a Sim's memory tracks what its match
// has recorded so far (never more than one chunk ahead), and Step allocates
// one chunk per chunkBytes recorded, nothing else. encodeReplay concatenates
// the chunks once, at the end.
const (
	// firstChunkBytes is the chunk New allocates: about 15 ticks of an
	// 8-seat match, so a room that never starts costs little.
	firstChunkBytes = 2 << 10
	// chunkBytes is the size of every later chunk: a 16 KiB allocation
	// about every 4.5 s of an 8-seat match at 30 Hz, about every 1 s of a
	// 40-seat raid.
	chunkBytes = 16 << 10
	// chunkHeaderBytes is the size of a chunk's header (next pointer and
	// buf slice header, on a 64-bit platform), subtracted from each chunk's
	// storage so that header and storage make exactly one allocation of the
	// chunk's nominal size (a size class of the Go allocator) instead of
	// spilling into the next class. recorder_test.go checks the sum.
	chunkHeaderBytes = 32
	// maxInputBytes bounds one encoded input: an int seat (10 bytes), a
	// uint32 seq and target (5 each), five int32 fields (5 each), three
	// uint8 fields (2 each).
	maxInputBytes = 10 + 5 + 5 + 5*5 + 3*2
)

// chunk is one piece of the replay body.
type chunk struct {
	next *chunk
	buf  []byte // the chunk's storage; len is what is used, cap never changes
}

// smallChunk and fullChunk are a chunk and its storage in one allocation.
type smallChunk struct {
	chunk
	mem [firstChunkBytes - chunkHeaderBytes]byte
}

type fullChunk struct {
	chunk
	mem [chunkBytes - chunkHeaderBytes]byte
}

// recorder appends each tick's inputs and hash to the replay body as the
// match runs. The zero value is not usable: use newRecorder.
type recorder struct {
	head, tail *chunk
	size       int // bytes recorded, over every chunk
	chunks     int // chunks allocated, the first included
	ticks      int
	scratch    [maxInputBytes]byte // one input being encoded
}

// newRecorder returns a recorder holding its first, small chunk.
func newRecorder() recorder {
	c := new(smallChunk)
	c.buf = c.mem[:0]
	return recorder{head: &c.chunk, tail: &c.chunk, chunks: 1}
}

func (r *recorder) beginTick(inputs []Input) {
	r.write(binary.AppendUvarint(r.scratch[:0], uint64(len(inputs))))
	for i := range inputs {
		r.write(appendInput(r.scratch[:0], &inputs[i]))
	}
}

func (r *recorder) endTick(hash uint64) {
	r.write(binary.LittleEndian.AppendUint64(r.scratch[:0], hash))
	r.ticks++
}

// write appends p to the body, filling the last chunk and then as many new
// chunks as it takes (a value may straddle two chunks: the body is one byte
// stream).
func (r *recorder) write(p []byte) {
	for len(p) > 0 {
		if len(r.tail.buf) == cap(r.tail.buf) {
			r.grow()
		}
		t := r.tail
		n := copy(t.buf[len(t.buf):cap(t.buf)], p)
		t.buf = t.buf[:len(t.buf)+n]
		r.size += n
		p = p[n:]
	}
}

// grow links a new, empty, full-size chunk after the last one. It is the
// only allocation Step makes before the final tick (tests attribute
// allocations to it by name).
func (r *recorder) grow() {
	c := new(fullChunk)
	c.buf = c.mem[:0]
	r.tail.next = &c.chunk
	r.tail = &c.chunk
	r.chunks++
}

// appendBody appends the whole body to b.
func (r *recorder) appendBody(b []byte) []byte {
	for c := r.head; c != nil; c = c.next {
		b = append(b, c.buf...)
	}
	return b
}
