package transport

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// FuzzFrameReader feeds arbitrary byte streams, delivered one byte at a
// time or whole, to the KCP frame splitter: it must return whole frames
// no larger than its cap, never allocate past the cap, and never panic.
func FuzzFrameReader(f *testing.F) {
	f.Add(appendFrame(appendFrame(nil, []byte{0x92, 0x04, 0x01}), []byte{1}), false)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3}, true)
	f.Add([]byte{0, 0, 0, 0}, false)
	f.Add([]byte{0, 0, 0x10, 0x01}, true)
	f.Add([]byte{0, 0, 0, 9, 1, 2}, false)
	f.Fuzz(func(t *testing.T, stream []byte, oneByte bool) {
		const limit = 4096
		var r io.Reader = bytes.NewReader(stream)
		if oneByte {
			r = iotest.OneByteReader(r)
		}
		fr := frameReader{r: r, max: limit}
		total := 0
		for {
			p, err := fr.next()
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) &&
					!errors.Is(err, ErrFrameTooLarge) && !errors.Is(err, ErrBadFrame) {
					t.Fatalf("unexpected error %v", err)
				}
				break
			}
			if len(p) == 0 || len(p) > limit || cap(fr.buf) > limit {
				t.Fatalf("frame of %d bytes (buffer %d) past the cap", len(p), cap(fr.buf))
			}
			total += 4 + len(p)
		}
		if total > len(stream) {
			t.Fatalf("read %d bytes of frames from a %d-byte stream", total, len(stream))
		}
	})
}
