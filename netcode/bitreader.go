package netcode

import (
	"fmt"
	"math"
	"math/bits"
)

// bitReader reads a bit stream written by bitWriter from untrusted bytes.
// Every read checks the bits left; it never panics.
type bitReader struct {
	b   []byte
	at  int    // offset of b in the frame, for error messages
	off int    // next byte of b to load into acc
	acc uint64 // the top n bits are loaded and unread; the rest are zero
	n   uint
}

func (br *bitReader) errf(format string, args ...any) error {
	return fmt.Errorf("%w: offset %d: %s", ErrMalformed, br.at+br.off, fmt.Sprintf(format, args...))
}

// fill loads whole bytes until acc holds more than 56 bits or b is used up.
func (br *bitReader) fill() {
	for br.n <= 56 && br.off < len(br.b) {
		br.acc |= uint64(br.b[br.off]) << (56 - br.n)
		br.off++
		br.n += 8
	}
}

// read returns the next width bits (width <= 56).
func (br *bitReader) read(width uint) (uint64, error) {
	if br.n < width {
		br.fill()
		if br.n < width {
			return 0, br.errf("update stream truncated")
		}
	}
	v := br.acc >> (64 - width) // a shift by 64 is 0 in Go, so width 0 reads 0
	br.acc <<= width
	br.n -= width
	return v, nil
}

// bit returns the next bit.
func (br *bitReader) bit() (bool, error) {
	v, err := br.read(1)
	return v == 1, err
}

// expGolomb reads an Exp-Golomb code of order k whose value must fit a
// uint32; a longer run of leading zeros is an error, so a hostile stream
// cannot make it loop or overflow.
func (br *bitReader) expGolomb(k uint) (uint32, error) {
	br.fill()
	z := uint(bits.LeadingZeros64(br.acc))
	if z > 32-k {
		if z >= br.n {
			return 0, br.errf("update stream truncated")
		}
		return 0, br.errf("exp-golomb code over 32 bits")
	}
	if z >= br.n {
		return 0, br.errf("update stream truncated")
	}
	br.acc <<= z
	br.n -= z
	u, err := br.read(z + k + 1)
	if err != nil {
		return 0, err
	}
	v := u - 1<<k
	if v > math.MaxUint32 {
		return 0, br.errf("exp-golomb value %d over 32 bits", v)
	}
	return uint32(v), nil
}

// end checks that only the zero padding of the last byte is left.
func (br *bitReader) end() error {
	if br.off < len(br.b) || br.n >= 8 {
		return br.errf("%d bytes left after the update stream", len(br.b)-br.off+int(br.n/8))
	}
	if br.acc != 0 {
		return br.errf("update stream padding is not zero")
	}
	return nil
}
