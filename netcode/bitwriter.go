package netcode

import (
	"encoding/binary"
	"math/bits"
)

// bitWriter appends a bit stream to a byte slice, most significant bit
// first (PROTOCOL.md, "The update stream"). Only the snapshot's update
// section is a bit stream; every other field is plain msgpack.
type bitWriter struct {
	buf []byte
	acc uint64 // the low n bits are written but not yet appended
	n   uint   // < 32 between calls
}

// write appends the low width bits of v (v < 1<<width, width <= 32).
func (w *bitWriter) write(v uint64, width uint) {
	w.acc = w.acc<<width | v
	w.n += width
	if w.n >= 32 {
		w.n -= 32
		w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(w.acc>>w.n))
	}
}

// expGolomb appends v in the Exp-Golomb code of order k (k <= 31): with
// u = v + 2^k and n the bit length of u, n-1-k zero bits then the n bits
// of u. Small values take k+1 bits; each doubling past 2^k costs 2 more.
func (w *bitWriter) expGolomb(v uint32, k uint) {
	u := uint64(v) + 1<<k
	n := uint(bits.Len64(u))
	if width := 2*n - 1 - k; width <= 32 {
		w.write(u, width) // the leading zeros are the high bits of width
		return
	}
	w.write(0, n-1-k)
	w.write(u>>1, n-1) // u has up to 33 bits
	w.write(u&1, 1)
}

// close pads the last byte with zero bits and returns the stream.
func (w *bitWriter) close() []byte {
	for ; w.n >= 8; w.n -= 8 {
		w.buf = append(w.buf, byte(w.acc>>(w.n-8)))
	}
	if w.n > 0 {
		w.buf = append(w.buf, byte(w.acc<<(8-w.n)))
		w.n = 0
	}
	return w.buf
}

// zigzag maps a signed difference to an unsigned one so that small
// magnitudes of either sign stay small: 0, -1, 1, -2, ... -> 0, 1, 2, 3, ...
func zigzag(d int32) uint32 { return uint32(d<<1) ^ uint32(d>>31) }

// unzigzag inverts zigzag.
func unzigzag(u uint32) int32 { return int32(u>>1) ^ -int32(u&1) }
