package netcode

import (
	"math/bits"
)

// SnapshotFrame is a decoded snapshot message: the change from the
// baseline tick Base to Tick. Base 0 means a full snapshot (every entity
// is in Created, relative to all-zero fields).
type SnapshotFrame struct {
	Tick     uint32
	Base     uint32
	InputAck uint32        // highest input sequence the server has consumed from this client
	Created  []EntityDelta // entities not in the baseline, ascending ID
	Updated  []EntityDelta // entities in the baseline whose fields changed, ascending ID
	Removed  []uint32      // entities in the baseline that are gone, ascending ID
}

// EntityDelta is one entity's change: Mask bit i set means field i
// changed, and Fields[i] holds the wrapping difference (new - old).
// Fields whose bit is clear are zero.
type EntityDelta struct {
	ID     uint32
	Mask   uint32
	Fields [MaxFields]int32
}

// AppendSnapshot appends the snapshot frame that turns base into cur:
//
//	[17, tick, base_tick, input_ack, created, updated, removed]
//
// created and updated are flat arrays of (id_gap, mask, value...) runs,
// removed a flat array of id gaps (PROTOCOL.md, "Snapshot delta format").
// A nil base writes a full snapshot (base_tick 0). Both snapshots must
// satisfy Validate. It does not allocate when dst has room.
func AppendSnapshot(dst []byte, base, cur *Snapshot, inputAck uint32) []byte {
	var baseTick uint32
	var old []Entity
	if base != nil {
		baseTick, old = base.Tick, base.Entities
	}
	now := cur.Entities
	dst = append(dst, 0x97, byte(KindSnapshot))
	dst = appendUint(dst, uint64(cur.Tick))
	dst = appendUint(dst, uint64(baseTick))
	dst = appendUint(dst, uint64(inputAck))

	// Each list is written after a 5-byte placeholder header, then the
	// header is rewritten in its shortest form (one pass, each mask
	// computed once).
	at, body := reserveArray(&dst)
	n, prev, i := 0, uint32(0), 0
	for j := range now {
		for i < len(old) && old[i].ID < now[j].ID {
			i++
		}
		if i < len(old) && old[i].ID == now[j].ID {
			continue
		}
		dst, n = appendRun(dst, &zeroEntity, &now[j], now[j].ID-prev, n)
		prev = now[j].ID
	}
	dst = patchArray(dst, at, body, n)

	at, body = reserveArray(&dst)
	n, prev, i = 0, 0, 0
	for j := range now {
		for i < len(old) && old[i].ID < now[j].ID {
			i++
		}
		if i == len(old) || old[i].ID != now[j].ID || old[i].Fields == now[j].Fields {
			continue
		}
		dst, n = appendRun(dst, &old[i], &now[j], now[j].ID-prev, n)
		prev = now[j].ID
	}
	dst = patchArray(dst, at, body, n)

	at, body = reserveArray(&dst)
	n, prev = 0, 0
	j := 0
	for i = range old {
		for j < len(now) && now[j].ID < old[i].ID {
			j++
		}
		if j < len(now) && now[j].ID == old[i].ID {
			continue
		}
		dst = appendUint(dst, uint64(old[i].ID-prev))
		prev = old[i].ID
		n++
	}
	return patchArray(dst, at, body, n)
}

// reserveArray appends a placeholder array32 header and returns where it
// starts and where the elements start.
func reserveArray(dst *[]byte) (at, body int) {
	at = len(*dst)
	*dst = append(*dst, 0xdd, 0, 0, 0, 0)
	return at, len(*dst)
}

// patchArray rewrites the placeholder header at dst[at:body] as the
// shortest header for n elements, moving the elements left if it shrank.
func patchArray(dst []byte, at, body, n int) []byte {
	var hdr [5]byte
	h := appendArrayLen(hdr[:0], n)
	copy(dst[at:], h)
	if shift := body - at - len(h); shift > 0 {
		copy(dst[at+len(h):], dst[body:])
		dst = dst[:len(dst)-shift]
	}
	return dst
}

var zeroEntity Entity

// mask returns the bits of the fields that differ between a and b.
func mask(a, b *Entity) uint32 {
	var m uint32
	for g := 0; g < MaxFields; g += 4 {
		x0 := uint32(a.Fields[g] ^ b.Fields[g])
		x1 := uint32(a.Fields[g+1] ^ b.Fields[g+1])
		x2 := uint32(a.Fields[g+2] ^ b.Fields[g+2])
		x3 := uint32(a.Fields[g+3] ^ b.Fields[g+3])
		if x0|x1|x2|x3 == 0 {
			continue // unused field groups: a well-predicted skip
		}
		// Branch-free: x|-x has its top bit set exactly when x != 0;
		// which fields changed is too random for the branch predictor.
		m |= ((x0|-x0)>>31 | (x1|-x1)>>31<<1 | (x2|-x2)>>31<<2 | (x3|-x3)>>31<<3) << g
	}
	return m
}

// appendRun appends one entity run: id gap, change mask, then the wrapping
// difference of each changed field in ascending field order. It adds the
// run's element count to n.
func appendRun(dst []byte, a, b *Entity, gap uint32, n int) ([]byte, int) {
	m := mask(a, b)
	n += 2 + bits.OnesCount32(m)
	dst = appendUint(dst, uint64(gap))
	dst = appendUint(dst, uint64(m))
	for m != 0 {
		f := bits.TrailingZeros32(m)
		m &= m - 1
		dst = appendInt(dst, int64(b.Fields[f]-a.Fields[f]))
	}
	return dst, n
}

// DecodeSnapshot decodes a snapshot frame into f, reusing f's slices (no
// allocation once they have grown to the largest snapshot seen). Entity
// ids must be strictly ascending within each list.
func DecodeSnapshot(frame []byte, f *SnapshotFrame) error {
	r := reader{b: frame}
	extra, err := header(&r, KindSnapshot, 6)
	if err != nil {
		return err
	}
	if f.Tick, err = r.uint32(); err != nil {
		return err
	}
	if f.Base, err = r.uint32(); err != nil {
		return err
	}
	if f.InputAck, err = r.uint32(); err != nil {
		return err
	}
	if f.Tick == 0 {
		return r.errf("snapshot tick 0")
	}
	budget := MaxSnapshotEntries
	if f.Created, err = decodeRuns(&r, f.Created[:0], &budget); err != nil {
		return err
	}
	if f.Updated, err = decodeRuns(&r, f.Updated[:0], &budget); err != nil {
		return err
	}
	n, err := r.arrayLen(budget)
	if err != nil {
		return err
	}
	f.Removed = f.Removed[:0]
	var id uint32
	for k := 0; k < n; k++ {
		if id, err = nextID(&r, id, k); err != nil {
			return err
		}
		f.Removed = append(f.Removed, id)
	}
	if f.Base == 0 && (len(f.Updated) > 0 || len(f.Removed) > 0) {
		return r.errf("full snapshot with updated or removed entities")
	}
	return finish(&r, extra-6)
}

// decodeRuns decodes one flat array of entity runs, appending to dst and
// charging each entity against budget.
func decodeRuns(r *reader, dst []EntityDelta, budget *int) ([]EntityDelta, error) {
	n, err := r.arrayLen(MaxServerFrame)
	if err != nil {
		return dst, err
	}
	var id uint32
	for k := 0; n > 0; k++ {
		if *budget == 0 {
			return dst, r.errf("more than %d entities", MaxSnapshotEntries)
		}
		*budget--
		if n < 2 {
			return dst, r.errf("entity run cut short by its array's length")
		}
		if id, err = nextID(r, id, k); err != nil {
			return dst, err
		}
		m, err := r.uint32()
		if err != nil {
			return dst, err
		}
		cnt := bits.OnesCount32(m)
		if 2+cnt > n {
			return dst, r.errf("entity %d: mask has %d fields, array has %d elements left", id, cnt, n-2)
		}
		dst = append(dst, EntityDelta{ID: id, Mask: m})
		d := &dst[len(dst)-1]
		for m != 0 {
			f := bits.TrailingZeros32(m)
			m &= m - 1
			if d.Fields[f], err = r.int32(); err != nil {
				return dst, err
			}
		}
		n -= 2 + cnt
	}
	return dst, nil
}

// nextID reads an id gap and returns the id it leads to. The first gap (k
// == 0) is the id itself; later gaps must be at least 1 and must not
// overflow uint32.
func nextID(r *reader, prev uint32, k int) (uint32, error) {
	gap, err := r.uint32()
	if err != nil {
		return 0, err
	}
	if k > 0 && gap == 0 {
		return 0, r.errf("entity ids not strictly ascending")
	}
	id := prev + gap
	if id < prev {
		return 0, r.errf("entity id overflows uint32")
	}
	return id, nil
}
