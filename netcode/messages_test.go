package netcode

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

func sampleInputs() *InputFrame {
	return &InputFrame{AckTick: 77, Inputs: []Input{
		{Seq: 1, ClientTick: 70, MoveX: 1000, MoveY: -1000, Facing: 200, CastSlot: -1},
		{Seq: 2, ClientTick: 71, MoveX: -7, Facing: 3, CastSlot: 2, CastTarget: 99, CastX: -123456, CastY: 1 << 30, Channel: 1, Gesture: 4},
	}}
}

func sampleEvents() *EventsFrame {
	return &EventsFrame{Tick: 9, Events: []Event{MakeEvent(1, 5, -6, 1<<20), MakeEvent(-2), MakeEvent(3, make([]int32, MaxEventFields)...)}}
}

// TestMessagesRoundTrip: every message decodes to what was encoded, and
// msgpack/v5 (as a reference decoder, on trusted bytes) reads our frames as
// the positional arrays PROTOCOL.md describes.
func TestMessagesRoundTrip(t *testing.T) {
	hello := &Hello{Version: Version, Ticket: strings.Repeat("t", 300)}
	resume := &Hello{Version: Version, Ticket: "tk", ResumeToken: "rt-1", LastAckTick: 1 << 20}
	welcome := &Welcome{Version: 1, Seat: 3, TickRate: 30, ServerTick: 12345, ResumeToken: "abc", EntityID: 42, ServerTimeUs: 1764100000000000, ResumeKey: []byte("0123456789abcdef0123456789abcdef")}
	ping := &Ping{ID: 7, ClientTimeUs: -5}
	pong := &Pong{ID: 7, ClientTimeUs: -5, ServerTick: 99, ServerTimeUs: 1 << 50}
	errf := &ErrorFrame{Code: CodeRoomFull, Message: "seats taken"}

	var h Hello
	for _, want := range []*Hello{hello, resume} {
		if err := DecodeHello(AppendHello(nil, want), &h); err != nil || h != *want {
			t.Fatalf("hello: %+v %v", h, err)
		}
	}
	var w Welcome
	if err := DecodeWelcome(AppendWelcome(nil, welcome), &w); err != nil || !reflect.DeepEqual(w, *welcome) {
		t.Fatalf("welcome: %+v %v", w, err)
	}
	var in InputFrame
	if err := DecodeInputFrame(AppendInputFrame(nil, sampleInputs()), &in); err != nil || !reflect.DeepEqual(&in, sampleInputs()) {
		t.Fatalf("input: %+v %v", in, err)
	}
	var ev EventsFrame
	if err := DecodeEvents(AppendEvents(nil, sampleEvents()), &ev); err != nil || !reflect.DeepEqual(&ev, sampleEvents()) {
		t.Fatalf("events: %+v %v", ev, err)
	}
	var pi Ping
	if err := DecodePing(AppendPing(nil, ping), &pi); err != nil || pi != *ping {
		t.Fatalf("ping: %+v %v", pi, err)
	}
	var po Pong
	if err := DecodePong(AppendPong(nil, pong), &po); err != nil || po != *pong {
		t.Fatalf("pong: %+v %v", po, err)
	}
	var e ErrorFrame
	if err := DecodeError(AppendError(nil, errf), &e); err != nil || e != *errf {
		t.Fatalf("error: %+v %v", e, err)
	}
	if tick, err := DecodeAck(AppendAck(nil, 1<<31)); err != nil || tick != 1<<31 {
		t.Fatalf("ack: %d %v", tick, err)
	}
	for _, k := range []Kind{KindClientBye, KindServerBye} {
		if c, err := DecodeBye(AppendBye(nil, k, CodeServerDraining), k); err != nil || c != CodeServerDraining {
			t.Fatalf("bye: %v %v", c, err)
		}
	}

	// msgpack/v5 produces the same bytes through the CustomEncoder hooks,
	// and reads ours as standard msgpack.
	for _, v := range []interface {
		EncodeMsgpack(*msgpack.Encoder) error
	}{hello, resume, welcome, sampleInputs(), sampleEvents(), ping, pong, errf} {
		got, err := msgpack.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var generic []any
		if err := msgpack.Unmarshal(got, &generic); err != nil {
			t.Fatalf("%T: msgpack/v5 cannot read our frame: %v", v, err)
		}
		if len(generic) < 2 {
			t.Fatalf("%T: %v", v, generic)
		}
	}
	var generic []any
	if err := msgpack.Unmarshal(AppendHello(nil, resume), &generic); err != nil {
		t.Fatal(err)
	}
	want := []any{int8(KindResume), int8(Version), "tk", "rt-1", uint32(1 << 20)}
	if !reflect.DeepEqual(generic, want) {
		t.Fatalf("resume as generic msgpack: %#v, want %#v", generic, want)
	}
}

// TestDecodersRejectHostileFrames: truncation at every byte, declared
// lengths past the frame, deep nesting, wrong types and oversize frames
// give ErrMalformed/ErrFrameTooLarge/ErrUnknownKind, never a panic.
func TestDecodersRejectHostileFrames(t *testing.T) {
	w := newTestWorld(9, 3, 5)
	full := AppendSnapshot(nil, nil, &w.snap, 1)
	base := &Snapshot{}
	base.CopyFrom(&w.snap)
	delta := AppendSnapshot(nil, base, w.step(), 2)
	frames := [][]byte{
		AppendHello(nil, &Hello{Version: 1, Ticket: "abc", ResumeToken: "r", LastAckTick: 5}),
		AppendInputFrame(nil, sampleInputs()),
		AppendEvents(nil, sampleEvents()),
		AppendWelcome(nil, &Welcome{Version: 1, ResumeToken: "x", ServerTimeUs: 1 << 40}),
		AppendPong(nil, &Pong{ID: 1, ServerTimeUs: 1 << 40}),
		full,
		delta,
	}
	for _, fr := range frames {
		for cut := 0; cut < len(fr); cut++ {
			if err := decodeAny(fr[:cut]); err == nil {
				t.Fatalf("truncated frame % x accepted", fr[:cut])
			}
		}
	}
	hostile := map[string][]byte{
		"array32 of 4G elements":    {0xdd, 0xff, 0xff, 0xff, 0xff, 0x01},
		"str32 of 4G bytes":         {0x93, 0x01, 0x01, 0xdb, 0xff, 0xff, 0xff, 0xff},
		"snapshot runs over frame":  {0x97, 0x11, 0x01, 0x00, 0x00, 0xdc, 0xff, 0xff, 0x90, 0x90},
		"hello with float version":  {0x93, 0x01, 0xcb, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0xa0},
		"hello with array ticket":   {0x93, 0x01, 0x01, 0x91, 0x01},
		"ack with negative tick":    {0x92, 0x04, 0xff},
		"welcome kind as string":    {0x92, 0xa1, 0x10},
		"input with short input":    {0x93, 0x03, 0x00, 0x91, 0x92, 0x01, 0x02},
		"bad type byte 0xc1":        {0x92, 0x04, 0xc1},
		"trailing bytes":            append(AppendAck(nil, 3), 0x00),
		"snapshot id not ascending": {0x97, 0x11, 0x02, 0x01, 0x00, 0x94, 0x05, 0x00, 0x00, 0x00, 0xc4, 0x00, 0x90},
		"snapshot mask over run":    {0x97, 0x11, 0x02, 0x00, 0x00, 0x92, 0x05, 0x03, 0xc4, 0x00, 0x90},
		"snapshot base_age = tick":  {0x97, 0x11, 0x02, 0x02, 0x00, 0x90, 0xc4, 0x00, 0x90},
		"snapshot bin over frame":   {0x97, 0x11, 0x02, 0x01, 0x00, 0x90, 0xc6, 0xff, 0xff, 0xff, 0xff, 0x90},
	}
	// Deep nesting where a newer minor version could add fields.
	deep := AppendAck(nil, 3)
	deep[0] = 0x93
	deep = append(deep, bytes.Repeat([]byte{0x91}, 10000)...)
	deep = append(deep, 0x01)
	hostile["deep nesting in a trailing field"] = deep
	hostile["oversize client frame"] = append([]byte{0x92, 0x04, 0xdb, 0, 0, 0x20, 0}, make([]byte, 0x2000)...)
	for name, fr := range hostile {
		err := decodeAny(fr)
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrFrameTooLarge) && !errors.Is(err, ErrUnknownKind) {
			t.Errorf("%s: got %v", name, err)
		}
	}
	// A newer minor version's trailing fields (shallow) are skipped.
	fwd := AppendAck(nil, 3)
	fwd[0] = 0x94
	fwd = append(fwd, 0x92, 0xa1, 'x', 0xc3, 0x81, 0x01, 0x02)
	if tick, err := DecodeAck(fwd); err != nil || tick != 3 {
		t.Fatalf("trailing fields: %d %v", tick, err)
	}
}

// decodeAny runs the decoder the frame's kind calls for; a snapshot is
// also applied to an empty baseline.
func decodeAny(fr []byte) error {
	k, err := PeekKind(fr)
	if err != nil {
		return err
	}
	switch k {
	case KindHello, KindResume:
		var h Hello
		return DecodeHello(fr, &h)
	case KindInput:
		var f InputFrame
		return DecodeInputFrame(fr, &f)
	case KindAck:
		_, err := DecodeAck(fr)
		return err
	case KindPing:
		var p Ping
		return DecodePing(fr, &p)
	case KindClientBye, KindServerBye:
		_, err := DecodeBye(fr, k)
		return err
	case KindWelcome:
		var w Welcome
		return DecodeWelcome(fr, &w)
	case KindSnapshot:
		var f SnapshotFrame
		if err := DecodeSnapshot(fr, &f); err != nil {
			return err
		}
		var out Snapshot
		return Apply(&Snapshot{Tick: f.Base}, &f, &out)
	case KindEvents:
		var f EventsFrame
		return DecodeEvents(fr, &f)
	case KindPong:
		var p Pong
		return DecodePong(fr, &p)
	case KindError:
		var e ErrorFrame
		return DecodeError(fr, &e)
	}
	return ErrUnknownKind
}

func TestCodeNames(t *testing.T) {
	seen := map[string]bool{}
	for c := CodeNone; c <= CodeResultPending; c++ {
		n := c.String()
		if n == "" || strings.HasPrefix(n, "code(") || seen[n] {
			t.Fatalf("code %d has name %q", c, n)
		}
		seen[n] = true
	}
	if CodeResultPending+1 != Code(len(codeNames)) {
		t.Fatal("codeNames out of step with the constants")
	}
}

// TestErrorRetryAfter: an error frame states its back-off as a fourth
// element, whole milliseconds rounded up, and only when there is one; a
// 3-element frame (an older server) decodes with no back-off, and elements
// after retry_after_ms (a newer minor version) are skipped.
func TestErrorRetryAfter(t *testing.T) {
	plain := AppendError(nil, &ErrorFrame{Code: CodeRateLimited, Message: "m"})
	if plain[0] != 0x93 {
		t.Fatalf("no back-off: array header %#x, want 3 elements", plain[0])
	}
	fr := AppendError(nil, &ErrorFrame{Code: CodeRateLimited, Message: "m", RetryAfter: 1500*time.Millisecond + time.Microsecond})
	want := []byte{0x94, 20, 13, 0xa1, 'm', 0xcd, 0x05, 0xdd} // 1501 ms
	if !bytes.Equal(fr, want) {
		t.Fatalf("frame % x, want % x", fr, want)
	}
	var e ErrorFrame
	if err := DecodeError(fr, &e); err != nil || e.RetryAfter != 1501*time.Millisecond || e.Code != CodeRateLimited {
		t.Fatalf("decoded %+v, %v", e, err)
	}
	if err := DecodeError(plain, &e); err != nil || e.RetryAfter != 0 {
		t.Fatalf("3-element frame decoded %+v, %v: a reused ErrorFrame keeps an old back-off", e, err)
	}
	trailing := append([]byte{0x96}, fr[1:]...)
	trailing = append(trailing, 0xa1, 'x', 0x91, 0x01)
	if err := DecodeError(trailing, &e); err != nil || e.RetryAfter != 1501*time.Millisecond {
		t.Fatalf("trailing elements after retry_after_ms: %+v, %v", e, err)
	}
	for _, bad := range [][]byte{
		{0x94, 20, 13, 0xa1, 'm', 0xff},                         // negative
		{0x94, 20, 13, 0xa1, 'm', 0xcf, 0, 0, 0, 1, 0, 0, 0, 0}, // over uint32
		{0x94, 20, 13, 0xa1, 'm', 0xa1, 'x'},                    // not an integer
	} {
		if err := DecodeError(bad, &e); err == nil {
			t.Errorf("% x decoded as %+v", bad, e)
		}
	}
	if ms := (&ErrorFrame{RetryAfter: 1000 * MaxRetryAfter}).retryAfterMs(); ms != 1<<32-1 {
		t.Fatalf("capped back-off %d ms", ms)
	}
}
