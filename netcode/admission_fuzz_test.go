package netcode

import (
	"bytes"
	"testing"
)

// preAdmissionSeeds are the hostile shapes a server sees before it admits
// a session: length bombs in every msgpack container and string type,
// 4,000-deep nesting, and every kind at every arity (0 to 8 elements,
// each nil, a uint, a string or a huge-length header).
func preAdmissionSeeds() [][]byte {
	var out [][]byte
	bombs := [][]byte{
		{0xdb, 0xff, 0xff, 0xff, 0xff},       // str32 of 4 GiB
		{0xc6, 0xff, 0xff, 0xff, 0xff},       // bin32
		{0xdd, 0xff, 0xff, 0xff, 0xff},       // array32
		{0xdf, 0xff, 0xff, 0xff, 0xff},       // map32
		{0xc9, 0xff, 0xff, 0xff, 0xff, 0x01}, // ext32
		{0xda, 0xff, 0xff},                   // str16
		{0xdc, 0xff, 0xff},                   // array16
	}
	for _, b := range bombs {
		out = append(out, b)
		for _, k := range []Kind{KindHello, KindResume} {
			out = append(out, append([]byte{0x93, byte(k), 0x01}, b...), append([]byte{0x95, byte(k), 0x01, 0xa1, 't'}, b...))
		}
	}
	deep := bytes.Repeat([]byte{0x91}, 4000)
	out = append(out, deep, append([]byte{0x93, byte(KindHello), 0x01}, deep...), bytes.Repeat([]byte{0x81, 0x01}, 2000))
	elems := [][]byte{{0xc0}, {0x01}, {0xce, 0xff, 0xff, 0xff, 0xff}, {0xa1, 'x'}, {0xdb, 0xff, 0xff, 0xff, 0xf0}}
	for k := 0; k <= 33; k++ {
		for arity := 0; arity <= 8; arity++ {
			for _, e := range elems {
				f := []byte{0x90 | byte(arity+1), byte(k)}
				for range arity {
					f = append(f, e...)
				}
				out = append(out, f)
			}
		}
	}
	return out
}

// FuzzPreAdmission runs what a server does with a session's first frame
// before it admits it: PeekKind, then DecodeHello. Neither may panic, a
// decoded hello holds no more bytes than the frame (no length was
// trusted), and it re-encodes to one that decodes the same.
func FuzzPreAdmission(f *testing.F) {
	f.Add(AppendHello(nil, &Hello{Version: Version, Ticket: "eyJhbGciOi.x.y"}))
	f.Add(AppendHello(nil, &Hello{Version: Version, Ticket: "t", ResumeToken: "r", LastAckTick: 9}))
	for _, s := range preAdmissionSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, fr []byte) {
		if len(fr) > MaxClientFrame {
			return // the transports never hand over more
		}
		_, _ = PeekKind(fr)
		var h Hello
		if DecodeHello(fr, &h) != nil {
			return
		}
		var h2 Hello
		if err := DecodeHello(AppendHello(nil, &h), &h2); err != nil || h2 != h {
			t.Fatalf("hello re-encode: %+v vs %+v (%v)", h2, h, err)
		}
		if len(h.Ticket)+len(h.ResumeToken) > len(fr) {
			t.Fatalf("decoded strings longer than the frame")
		}
	})
}
