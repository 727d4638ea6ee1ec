package netcode

import (
	"math"
	"math/bits"
)

// The update section of a delta snapshot is a bit stream inside a msgpack
// bin (PROTOCOL.md, "The update stream"): per updated entity an
// Exp-Golomb id gap, a one-bit "same fields as the default mask" flag (or
// its own mask over the fields the frame uses), and an Exp-Golomb code of
// the zigzagged difference of each changed field. The orders of the codes
// are chosen per frame from the values, so a frame where everything moves
// 20 cm pays about 6 bits per coordinate and a frame with one teleport
// pays for the teleport alone.

// idStat is the index of the id gaps in updateStats' per-field arrays.
const idStat = MaxFields

// updateStats is what the first pass over the updated entities learns:
// enough to choose the stream's header.
type updateStats struct {
	union  uint32                // fields any updated entity changes
	bitSum [MaxFields + 1]uint32 // sum of the bit lengths of the coded values, per field (idStat: id gaps)
	values [MaxFields + 1]uint32 // number of coded values, per field
	masks  maskTally
}

// add counts one updated entity: its coded id gap and changed fields.
func (s *updateStats) add(gap uint32, a, b *Entity, m uint32) {
	s.union |= m
	s.masks.add(m)
	s.bitSum[idStat] += uint32(bits.Len32(gap))
	s.values[idStat]++
	for ; m != 0; m &= m - 1 {
		f := bits.TrailingZeros32(m)
		s.bitSum[f] += uint32(bits.Len32(zigzag(b.Fields[f] - a.Fields[f])))
		s.values[f]++
	}
}

// order returns the Exp-Golomb order for field f: the mean bit length of
// its values, rounded. On the benchmark states this costs about 2% more
// bits than the best order per frame would, and needs no histogram.
func (s *updateStats) order(f int) uint {
	n := s.values[f]
	if n == 0 {
		return 0
	}
	return uint(min((s.bitSum[f]+n/2)/n, 31))
}

// maskTally counts how often each change mask occurs, for the default
// mask. It keeps the first 16 distinct masks; later new ones are not
// counted (they only cost their own explicit masks).
type maskTally struct {
	slot [16]struct{ mask, n uint32 }
}

func (t *maskTally) add(m uint32) {
	h := (m * 0x9e3779b1) >> 28
	for i := range uint32(len(t.slot)) {
		s := &t.slot[(h+i)%uint32(len(t.slot))]
		if s.n == 0 {
			s.mask = m
		}
		if s.mask == m {
			s.n++
			return
		}
	}
}

// most returns the most frequent mask (0 if none was counted).
func (t *maskTally) most() uint32 {
	var best, n uint32
	for _, s := range t.slot {
		if s.n > n {
			best, n = s.mask, s.n
		}
	}
	return best
}

// squeeze returns the bits of m at the positions set in union, the lowest
// field first (most significant): the |union|-bit form of a mask.
func squeeze(m, union uint32) uint64 {
	var v uint64
	for u := union; u != 0; u &= u - 1 {
		v = v<<1 | uint64(m>>bits.TrailingZeros32(u)&1)
	}
	return v
}

// change is one updated entity found by the first pass: its index in the
// baseline and in the current snapshot, and its change mask.
type change struct {
	old, now int32
	mask     uint32
}

// appendUpdates appends the update section for the changes cs (ascending
// ids, masks non-zero) between old and now, with st their statistics: an
// empty bin when there are none.
func appendUpdates(dst []byte, old, now []Entity, cs []change, st *updateStats) []byte {
	if len(cs) == 0 {
		return append(dst, 0xc4, 0)
	}
	at, body := reserve(&dst)
	w := bitWriter{buf: dst}
	w.expGolomb(uint32(len(cs)-1), 0)
	w.expGolomb(st.union, 0)
	var order [MaxFields]uint
	for u := st.union; u != 0; u &= u - 1 {
		f := bits.TrailingZeros32(u)
		order[f] = st.order(f)
		w.write(uint64(order[f]), 5)
	}
	idOrder := st.order(idStat)
	w.write(uint64(idOrder), 5)
	width := uint(bits.OnesCount32(st.union))
	def := st.masks.most()
	w.write(squeeze(def, st.union), width)

	prev := uint32(0)
	for n := range cs {
		c := &cs[n]
		a, b := &old[c.old], &now[c.now]
		w.expGolomb(idGap(b.ID, prev, n), idOrder)
		prev = b.ID
		m := c.mask
		if m == def {
			w.write(0, 1)
		} else {
			w.write(1, 1)
			w.write(squeeze(m, st.union), width)
		}
		for ; m != 0; m &= m - 1 {
			f := bits.TrailingZeros32(m)
			w.expGolomb(zigzag(b.Fields[f]-a.Fields[f]), order[f])
		}
	}
	return patchBin(w.close(), at, body)
}

// idGap is the coded id of the n-th updated entity: the id itself for the
// first, else the distance from the previous one minus 1.
func idGap(id, prev uint32, n int) uint32 {
	if n == 0 {
		return id
	}
	return id - prev - 1
}

// decodeUpdates decodes an update section, appending to dst and charging
// each entity against budget.
func decodeUpdates(r *reader, dst []EntityDelta, budget *int) ([]EntityDelta, error) {
	p, err := r.bin(MaxServerFrame)
	if err != nil || len(p) == 0 {
		return dst, err
	}
	br := bitReader{b: p, at: r.off - len(p)}
	c, err := br.expGolomb(0)
	if err != nil {
		return dst, err
	}
	if uint64(c) >= uint64(*budget) {
		return dst, br.errf("more than %d entities", MaxSnapshotEntries)
	}
	count := int(c) + 1
	*budget -= count
	union, err := br.expGolomb(0)
	if err != nil {
		return dst, err
	}
	if union == 0 {
		return dst, br.errf("update stream changes no field")
	}
	var order [MaxFields]uint
	var fields [MaxFields]uint8 // the fields of union, ascending
	width := uint(0)
	for u := union; u != 0; u &= u - 1 {
		f := bits.TrailingZeros32(u)
		v, err := br.read(5)
		if err != nil {
			return dst, err
		}
		order[f], fields[width] = uint(v), uint8(f)
		width++
	}
	idOrder, err := br.read(5)
	if err != nil {
		return dst, err
	}
	def, err := readMask(&br, fields[:width])
	if err != nil {
		return dst, err
	}
	var id uint32
	for n := 0; n < count; n++ {
		g, err := br.expGolomb(uint(idOrder))
		if err != nil {
			return dst, err
		}
		if n == 0 {
			id = g
		} else if next := uint64(id) + 1 + uint64(g); next > math.MaxUint32 {
			return dst, br.errf("entity id overflows uint32")
		} else {
			id = uint32(next)
		}
		m := def
		own, err := br.bit()
		if err != nil {
			return dst, err
		}
		if own {
			if m, err = readMask(&br, fields[:width]); err != nil {
				return dst, err
			}
		}
		if m == 0 {
			return dst, br.errf("entity %d: empty change mask", id)
		}
		dst = append(dst, EntityDelta{ID: id, Mask: m})
		d := &dst[len(dst)-1]
		for ; m != 0; m &= m - 1 {
			f := bits.TrailingZeros32(m)
			v, err := br.expGolomb(order[f])
			if err != nil {
				return dst, err
			}
			d.Fields[f] = unzigzag(v)
		}
	}
	return dst, br.end()
}

// readMask reads a mask in its squeezed form over fields.
func readMask(br *bitReader, fields []uint8) (uint32, error) {
	v, err := br.read(uint(len(fields)))
	if err != nil {
		return 0, err
	}
	var m uint32
	for i, f := range fields {
		m |= uint32(v>>(len(fields)-1-i)&1) << f
	}
	return m, nil
}
