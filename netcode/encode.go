package netcode

import "encoding/binary"

// The append functions below write the smallest msgpack encoding of each
// value, as PROTOCOL.md requires of encoders ("shortest form"). They never
// allocate when dst has room, which is what keeps snapshot encoding at zero
// allocations per frame.

// appendArrayLen appends a msgpack array header for n elements.
func appendArrayLen(dst []byte, n int) []byte {
	switch {
	case n < 16:
		return append(dst, 0x90|byte(n))
	case n <= 0xffff:
		return append(dst, 0xdc, byte(n>>8), byte(n))
	default:
		return binary.BigEndian.AppendUint32(append(dst, 0xdd), uint32(n))
	}
}

// appendUint appends a non-negative integer.
func appendUint(dst []byte, v uint64) []byte {
	switch {
	case v <= 0x7f:
		return append(dst, byte(v))
	case v <= 0xff:
		return append(dst, 0xcc, byte(v))
	case v <= 0xffff:
		return append(dst, 0xcd, byte(v>>8), byte(v))
	case v <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(dst, 0xce), uint32(v))
	default:
		return binary.BigEndian.AppendUint64(append(dst, 0xcf), v)
	}
}

// appendInt appends a signed integer; non-negative values use the unsigned
// forms, as the msgpack spec recommends.
func appendInt(dst []byte, v int64) []byte {
	if v >= 0 {
		return appendUint(dst, uint64(v))
	}
	switch {
	case v >= -32:
		return append(dst, byte(v))
	case v >= -128:
		return append(dst, 0xd0, byte(v))
	case v >= -32768:
		return append(dst, 0xd1, byte(v>>8), byte(v))
	case v >= -2147483648:
		return binary.BigEndian.AppendUint32(append(dst, 0xd2), uint32(v))
	default:
		return binary.BigEndian.AppendUint64(append(dst, 0xd3), uint64(v))
	}
}

// appendStr appends a UTF-8 string (msgpack str family).
func appendStr(dst []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		dst = append(dst, 0xa0|byte(n))
	case n <= 0xff:
		dst = append(dst, 0xd9, byte(n))
	case n <= 0xffff:
		dst = append(dst, 0xda, byte(n>>8), byte(n))
	default:
		dst = binary.BigEndian.AppendUint32(append(dst, 0xdb), uint32(n))
	}
	return append(dst, s...)
}

// appendBinLen appends a msgpack bin header for n bytes.
func appendBinLen(dst []byte, n int) []byte {
	switch {
	case n <= 0xff:
		return append(dst, 0xc4, byte(n))
	case n <= 0xffff:
		return append(dst, 0xc5, byte(n>>8), byte(n))
	default:
		return binary.BigEndian.AppendUint32(append(dst, 0xc6), uint32(n))
	}
}

// reserve appends a 5-byte placeholder for a container header whose length
// is known only after its body is written, and returns where it starts and
// where the body starts.
func reserve(dst *[]byte) (at, body int) {
	at = len(*dst)
	*dst = append(*dst, 0, 0, 0, 0, 0)
	return at, len(*dst)
}

// patch replaces the placeholder at dst[at:body] with hdr (at most 5
// bytes), moving the body left if hdr is shorter.
func patch(dst []byte, at, body int, hdr []byte) []byte {
	copy(dst[at:], hdr)
	if shift := body - at - len(hdr); shift > 0 {
		copy(dst[at+len(hdr):], dst[body:])
		dst = dst[:len(dst)-shift]
	}
	return dst
}

// patchArray completes a reserved array header for n elements.
func patchArray(dst []byte, at, body, n int) []byte {
	var hdr [5]byte
	return patch(dst, at, body, appendArrayLen(hdr[:0], n))
}

// patchBin completes a reserved bin header for the bytes after body.
func patchBin(dst []byte, at, body int) []byte {
	var hdr [5]byte
	return patch(dst, at, body, appendBinLen(hdr[:0], len(dst)-body))
}
