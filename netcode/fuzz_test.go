package netcode

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// hostileSeeds returns frames every fuzz target starts from besides its
// valid ones: truncations, lengths larger than the frame, deep nesting and
// wrong types.
func hostileSeeds(valid [][]byte) [][]byte {
	out := [][]byte{
		{},
		{0xc1},
		{0xdd, 0xff, 0xff, 0xff, 0xff},
		{0x92, 0x01, 0xdb, 0xff, 0xff, 0xff, 0xff},
		{0x97, 0x11, 0x01, 0x00, 0x00, 0xdd, 0x7f, 0xff, 0xff, 0xff},
		append([]byte{0x94, 0x04, 0x01}, bytes.Repeat([]byte{0x91}, 64)...),
		{0x93, 0x01, 0xa1, 0x01},
		{0x82, 0x01, 0x02, 0x03, 0x04},
		{0x93, 0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x01, 0x02},
	}
	for _, v := range valid {
		out = append(out, v, v[:len(v)/2], append(bytes.Clone(v), 0x00))
		grown := bytes.Clone(v)
		grown[0] = 0xdc // array16 header that now claims ~36k elements
		out = append(out, append(grown, 0x8f, 0xff))
	}
	return out
}

func FuzzDecodeClientFrame(f *testing.F) {
	valid := [][]byte{
		AppendHello(nil, &Hello{Version: 1, Ticket: "eyJhbGciOi.x.y"}),
		AppendHello(nil, &Hello{Version: 1, Ticket: "t", ResumeToken: "r", LastAckTick: 300}),
		AppendInputFrame(nil, sampleInputs()),
		AppendAck(nil, 70000),
		AppendPing(nil, &Ping{ID: 3, ClientTimeUs: 1 << 40}),
		AppendBye(nil, KindClientBye, CodeNone),
	}
	for _, s := range hostileSeeds(valid) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, fr []byte) {
		k, err := PeekKind(fr)
		if err != nil {
			return
		}
		var again []byte
		switch k {
		case KindHello, KindResume:
			var h Hello
			if DecodeHello(fr, &h) != nil {
				return
			}
			again = AppendHello(nil, &h)
			var h2 Hello
			if err := DecodeHello(again, &h2); err != nil || h2 != h {
				t.Fatalf("hello re-encode: %+v vs %+v (%v)", h2, h, err)
			}
		case KindInput:
			var in InputFrame
			if DecodeInputFrame(fr, &in) != nil {
				return
			}
			var in2 InputFrame
			if err := DecodeInputFrame(AppendInputFrame(nil, &in), &in2); err != nil || !reflect.DeepEqual(in.Inputs, in2.Inputs) && len(in.Inputs) > 0 {
				t.Fatalf("input re-encode: %v", err)
			}
		case KindAck:
			if tick, err := DecodeAck(fr); err == nil {
				if t2, err := DecodeAck(AppendAck(nil, tick)); err != nil || t2 != tick {
					t.Fatal("ack re-encode")
				}
			}
		case KindPing:
			var p, p2 Ping
			if DecodePing(fr, &p) == nil {
				if err := DecodePing(AppendPing(nil, &p), &p2); err != nil || p != p2 {
					t.Fatal("ping re-encode")
				}
			}
		case KindClientBye:
			if c, err := DecodeBye(fr, k); err == nil {
				if c2, err := DecodeBye(AppendBye(nil, k, c), k); err != nil || c2 != c {
					t.Fatal("bye re-encode")
				}
			}
		default:
			_ = decodeAny(fr)
		}
	})
}

func FuzzDecodeServerFrame(f *testing.F) {
	valid := [][]byte{
		AppendWelcome(nil, &Welcome{Version: 1, Seat: 2, TickRate: 30, ServerTick: 500, ResumeToken: "tok", EntityID: 9, ServerTimeUs: 1 << 50}),
		AppendEvents(nil, sampleEvents()),
		AppendPong(nil, &Pong{ID: 1, ClientTimeUs: 5, ServerTick: 6, ServerTimeUs: 7}),
		AppendError(nil, &ErrorFrame{Code: CodeBadTicket, Message: "signature"}),
		AppendError(nil, &ErrorFrame{Code: CodeRateLimited, Message: "flood", RetryAfter: 1500 * time.Millisecond}),
		AppendBye(nil, KindServerBye, CodeRoomEnded),
	}
	for _, s := range hostileSeeds(valid) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, fr []byte) {
		k, err := PeekKind(fr)
		if err != nil {
			return
		}
		switch k {
		case KindWelcome:
			var w, w2 Welcome
			if DecodeWelcome(fr, &w) == nil {
				if err := DecodeWelcome(AppendWelcome(nil, &w), &w2); err != nil || !reflect.DeepEqual(w, w2) {
					t.Fatal("welcome re-encode")
				}
			}
		case KindEvents:
			var e, e2 EventsFrame
			if DecodeEvents(fr, &e) == nil {
				if err := DecodeEvents(AppendEvents(nil, &e), &e2); err != nil || len(e.Events) != len(e2.Events) {
					t.Fatal("events re-encode")
				}
			}
		case KindPong:
			var p, p2 Pong
			if DecodePong(fr, &p) == nil {
				if err := DecodePong(AppendPong(nil, &p), &p2); err != nil || p != p2 {
					t.Fatal("pong re-encode")
				}
			}
		case KindError:
			var e, e2 ErrorFrame
			if DecodeError(fr, &e) == nil {
				if err := DecodeError(AppendError(nil, &e), &e2); err != nil || e != e2 {
					t.Fatal("error re-encode")
				}
			}
		default:
			_ = decodeAny(fr)
		}
	})
}

// FuzzDecodeSnapshot decodes and applies mutated snapshot frames against a
// fixed baseline; whatever applies must survive a re-encode exactly.
func FuzzDecodeSnapshot(f *testing.F) {
	w := newTestWorld(5, 3, 6)
	w.churn = true
	base := &Snapshot{}
	base.CopyFrom(&w.snap)
	for range 3 {
		w.step()
	}
	idle := &Snapshot{}
	idle.CopyFrom(base)
	idle.Tick += 2
	exBase, exCur := exampleDelta()
	valid := [][]byte{
		AppendSnapshot(nil, nil, &w.snap, 4),
		AppendSnapshot(nil, base, &w.snap, 4),
		AppendSnapshot(nil, base, idle, 0),
		AppendSnapshot(nil, exBase, exCur, 42),
	}
	for _, s := range hostileSeeds(valid) {
		f.Add(s)
	}
	// Update streams that break one rule each: no field, a code of 33
	// zero bits, an id past 2^32-1, bytes after the padding.
	for _, st := range [][]byte{
		stream(func(w *bitWriter) { w.expGolomb(0, 0); w.expGolomb(0, 0) }),
		stream(func(w *bitWriter) { w.write(0, 32); w.write(0, 1); w.write(1, 1) }),
		stream(func(w *bitWriter) {
			w.expGolomb(1, 0)
			w.expGolomb(1, 0)
			w.write(0, 5)
			w.write(31, 5)
			w.write(1, 1)
			w.expGolomb(1<<32-1, 31)
			w.write(0, 1)
			w.expGolomb(0, 0)
			w.expGolomb(0, 31)
		}),
		append(stream(func(w *bitWriter) { w.expGolomb(0, 0); w.expGolomb(1, 0) }), 0, 0),
	} {
		f.Add(deltaFrame(st))
	}
	f.Fuzz(func(t *testing.T, fr []byte) {
		if _, err := reapply(fr, base); err != nil && !errors.Is(err, errDecode) {
			t.Fatal(err)
		}
	})
}

// errDecode marks reapply's errors that only say the frame did not decode.
var errDecode = errors.New("frame does not decode")

// reapply decodes a snapshot frame and applies it to base (or, when the
// frame names another baseline, to an empty world of that tick). When it
// applies, the result must keep the id order and survive a re-encode
// exactly. It reports whether the frame applied; a frame that does not
// decode is an error wrapping errDecode and the decoder's error.
func reapply(fr []byte, base *Snapshot) (bool, error) {
	var f SnapshotFrame
	if err := DecodeSnapshot(fr, &f); err != nil {
		return false, fmt.Errorf("%w: %w", errDecode, err)
	}
	b := base
	if f.Base != base.Tick {
		b = &Snapshot{Tick: f.Base}
	}
	var out Snapshot
	if Apply(b, &f, &out) != nil {
		return false, nil
	}
	if err := out.Validate(); err != nil {
		return true, fmt.Errorf("applied snapshot breaks the id order: %w", err)
	}
	if f.Base == 0 {
		b = nil
	}
	var f2 SnapshotFrame
	var out2 Snapshot
	if err := DecodeSnapshot(AppendSnapshot(nil, b, &out, f.InputAck), &f2); err != nil {
		return true, fmt.Errorf("re-encoded frame does not decode: %w", err)
	}
	if err := Apply(b, &f2, &out2); err != nil || !out2.Equal(&out) {
		return true, fmt.Errorf("re-encoded frame does not reproduce the snapshot: %v", err)
	}
	return true, nil
}
