package netcode

import (
	"encoding/binary"
	"fmt"
	"math"
)

// maxSkipDepth bounds how deep reader.skip descends into values a decoder
// does not know (trailing elements added by a later minor version). Known
// fields are decoded at fixed depths, so this is the only recursion.
const maxSkipDepth = 4

// reader decodes msgpack from an untrusted frame. Every declared length is
// checked against the bytes left before anything is sized from it, so a
// frame can never make the decoder allocate more than the frame's own size.
// It never panics on any input.
type reader struct {
	b   []byte
	off int
}

func (r *reader) left() int { return len(r.b) - r.off }

func (r *reader) errf(format string, args ...any) error {
	return fmt.Errorf("%w: offset %d: %s", ErrMalformed, r.off, fmt.Sprintf(format, args...))
}

func (r *reader) byte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, r.errf("truncated")
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

func (r *reader) take(n int) ([]byte, error) {
	if n < 0 || n > r.left() {
		return nil, r.errf("declared length %d exceeds %d bytes left", n, r.left())
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	return p, nil
}

// arrayLen reads an array header. The declared length must not exceed the
// bytes left (every element takes at least one byte) nor max.
func (r *reader) arrayLen(max int) (int, error) {
	c, err := r.byte()
	if err != nil {
		return 0, err
	}
	var n int
	switch {
	case c&0xf0 == 0x90:
		n = int(c & 0x0f)
	case c == 0xdc:
		p, err := r.take(2)
		if err != nil {
			return 0, err
		}
		n = int(binary.BigEndian.Uint16(p))
	case c == 0xdd:
		p, err := r.take(4)
		if err != nil {
			return 0, err
		}
		n = int(binary.BigEndian.Uint32(p))
	default:
		r.off--
		return 0, r.errf("want array, got type byte 0x%02x", c)
	}
	if n > r.left() {
		return 0, r.errf("array of %d elements in %d bytes", n, r.left())
	}
	if n > max {
		return 0, r.errf("array of %d elements over the limit %d", n, max)
	}
	return n, nil
}

// int reads any msgpack integer that fits in an int64.
func (r *reader) int() (int64, error) {
	c, err := r.byte()
	if err != nil {
		return 0, err
	}
	switch {
	case c <= 0x7f:
		return int64(c), nil
	case c >= 0xe0:
		return int64(int8(c)), nil
	}
	var size int
	switch c {
	case 0xcc, 0xd0:
		size = 1
	case 0xcd, 0xd1:
		size = 2
	case 0xce, 0xd2:
		size = 4
	case 0xcf, 0xd3:
		size = 8
	default:
		r.off--
		return 0, r.errf("want integer, got type byte 0x%02x", c)
	}
	p, err := r.take(size)
	if err != nil {
		return 0, err
	}
	switch c {
	case 0xcc:
		return int64(p[0]), nil
	case 0xcd:
		return int64(binary.BigEndian.Uint16(p)), nil
	case 0xce:
		return int64(binary.BigEndian.Uint32(p)), nil
	case 0xcf:
		v := binary.BigEndian.Uint64(p)
		if v > math.MaxInt64 {
			return 0, r.errf("integer %d out of range", v)
		}
		return int64(v), nil
	case 0xd0:
		return int64(int8(p[0])), nil
	case 0xd1:
		return int64(int16(binary.BigEndian.Uint16(p))), nil
	case 0xd2:
		return int64(int32(binary.BigEndian.Uint32(p))), nil
	default: // 0xd3
		return int64(binary.BigEndian.Uint64(p)), nil
	}
}

// intRange reads an integer and checks lo <= v <= hi.
func (r *reader) intRange(lo, hi int64) (int64, error) {
	v, err := r.int()
	if err != nil {
		return 0, err
	}
	if v < lo || v > hi {
		return 0, r.errf("integer %d outside [%d, %d]", v, lo, hi)
	}
	return v, nil
}

func (r *reader) uint32() (uint32, error) {
	v, err := r.intRange(0, math.MaxUint32)
	return uint32(v), err
}

func (r *reader) int32() (int32, error) {
	v, err := r.intRange(math.MinInt32, math.MaxInt32)
	return int32(v), err
}

// str reads a msgpack str of at most max bytes.
func (r *reader) str(max int) (string, error) {
	c, err := r.byte()
	if err != nil {
		return "", err
	}
	var n int
	switch {
	case c&0xe0 == 0xa0:
		n = int(c & 0x1f)
	case c == 0xd9:
		p, err := r.take(1)
		if err != nil {
			return "", err
		}
		n = int(p[0])
	case c == 0xda:
		p, err := r.take(2)
		if err != nil {
			return "", err
		}
		n = int(binary.BigEndian.Uint16(p))
	case c == 0xdb:
		p, err := r.take(4)
		if err != nil {
			return "", err
		}
		n = int(binary.BigEndian.Uint32(p))
	default:
		r.off--
		return "", r.errf("want string, got type byte 0x%02x", c)
	}
	if n > max {
		return "", r.errf("string of %d bytes over the limit %d", n, max)
	}
	p, err := r.take(n)
	if err != nil {
		return "", err
	}
	return string(p), nil
}

// bin reads a msgpack bin of at most max bytes and returns its bytes,
// which alias the frame.
func (r *reader) bin(max int) ([]byte, error) {
	c, err := r.byte()
	if err != nil {
		return nil, err
	}
	var size int
	switch c {
	case 0xc4:
		size = 1
	case 0xc5:
		size = 2
	case 0xc6:
		size = 4
	default:
		r.off--
		return nil, r.errf("want bin, got type byte 0x%02x", c)
	}
	n, err := r.length(size)
	if err != nil {
		return nil, err
	}
	if n > max {
		return nil, r.errf("bin of %d bytes over the limit %d", n, max)
	}
	return r.take(n)
}

// length reads a big-endian length of size 1, 2 or 4 bytes.
func (r *reader) length(size int) (int, error) {
	p, err := r.take(size)
	if err != nil {
		return 0, err
	}
	switch size {
	case 1:
		return int(p[0]), nil
	case 2:
		return int(binary.BigEndian.Uint16(p)), nil
	default:
		return int(binary.BigEndian.Uint32(p)), nil
	}
}

// skip passes over one value of any type, descending at most depth levels
// into arrays and maps. Used only for trailing elements a newer peer added.
func (r *reader) skip(depth int) error {
	if depth <= 0 {
		return r.errf("nesting deeper than %d", maxSkipDepth)
	}
	c, err := r.byte()
	if err != nil {
		return err
	}
	var size, elems int
	switch {
	case c <= 0x7f, c >= 0xe0, c == 0xc0, c == 0xc2, c == 0xc3:
		return nil
	case c&0xe0 == 0xa0:
		size = int(c & 0x1f)
	case c&0xf0 == 0x90:
		elems = int(c & 0x0f)
	case c&0xf0 == 0x80:
		elems = 2 * int(c&0x0f)
	default:
		var hdr int
		switch c {
		case 0xcc, 0xd0:
			size = 1
		case 0xcd, 0xd1:
			size = 2
		case 0xca, 0xce, 0xd2:
			size = 4
		case 0xcb, 0xcf, 0xd3:
			size = 8
		case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1,2,4,8,16 (+ type byte)
			size = 1 + 1<<(c-0xd4)
		case 0xc4, 0xd9:
			hdr = 1
		case 0xc5, 0xda, 0xdc, 0xde:
			hdr = 2
		case 0xc6, 0xdb, 0xdd, 0xdf:
			hdr = 4
		case 0xc7:
			hdr = 1
		case 0xc8:
			hdr = 2
		case 0xc9:
			hdr = 4
		default: // 0xc1 is never used
			r.off--
			return r.errf("invalid type byte 0x%02x", c)
		}
		if hdr > 0 {
			n, err := r.length(hdr)
			if err != nil {
				return err
			}
			switch c {
			case 0xdc, 0xdd:
				elems = n
			case 0xde, 0xdf:
				elems = 2 * n
			case 0xc7, 0xc8, 0xc9:
				size = n + 1 // ext: type byte then data
			default:
				size = n
			}
		}
	}
	if elems > r.left() {
		return r.errf("container of %d elements in %d bytes", elems, r.left())
	}
	if _, err := r.take(size); err != nil {
		return err
	}
	for i := 0; i < elems; i++ {
		if err := r.skip(depth - 1); err != nil {
			return err
		}
	}
	return nil
}

// rest skips the n trailing elements of an array the decoder has read its
// known fields from, so a newer minor version can append fields.
func (r *reader) rest(n int) error {
	for i := 0; i < n; i++ {
		if err := r.skip(maxSkipDepth); err != nil {
			return err
		}
	}
	return nil
}

// end checks that the frame holds nothing after the message.
func (r *reader) end() error {
	if r.off != len(r.b) {
		return r.errf("%d trailing bytes after the message", len(r.b)-r.off)
	}
	return nil
}
