package transport

import (
	"encoding/binary"
	"fmt"
	"io"
)

// frameReader splits a byte stream into frames, each a 4-byte big-endian
// length and that many bytes (the KCP framing, PROTOCOL.md "Framing"). It
// allocates at most the declared length, and only after checking it
// against max.
type frameReader struct {
	r   io.Reader
	max int
	hdr [4]byte
	buf []byte
}

// next returns the next frame, valid until the following call. Errors from
// the underlying reader are returned as they are.
func (f *frameReader) next() ([]byte, error) {
	if _, err := io.ReadFull(f.r, f.hdr[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(f.hdr[:]))
	if n > f.max {
		return nil, fmt.Errorf("%w: %d bytes over %d", ErrFrameTooLarge, n, f.max)
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: empty frame", ErrBadFrame)
	}
	if cap(f.buf) < n {
		f.buf = make([]byte, n, max(n, min(2*cap(f.buf), f.max)))
	}
	f.buf = f.buf[:n]
	if _, err := io.ReadFull(f.r, f.buf); err != nil {
		return nil, err
	}
	return f.buf, nil
}

// appendFrame appends p with its length prefix.
func appendFrame(dst, p []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(p)))
	return append(dst, p...)
}
