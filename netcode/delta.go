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
//	[17, tick, base_age, input_ack, created, updated, removed]
//
// base_age is cur.Tick - base.Tick (0: full snapshot); created is a flat
// array of (id_gap, mask, value...) runs with absolute values, updated a
// bin holding the bit-packed update stream, removed a flat array of id
// gaps (PROTOCOL.md, "Snapshots and the delta format"). A nil base, or
// one not older than cur, writes a full snapshot. Both snapshots must
// satisfy Validate. A full snapshot does not allocate when dst has room;
// a delta needs scratch space for its changed entities, which a
// DeltaEncoder keeps between frames.
func AppendSnapshot(dst []byte, base, cur *Snapshot, inputAck uint32) []byte {
	var e snapshotEncoder
	return e.append(dst, base, cur, inputAck)
}

// snapshotEncoder writes snapshot frames. Its scratch holds what the
// first pass over the entities found, for the update stream; reusing one
// encoder makes encoding allocation-free once the scratch has grown.
type snapshotEncoder struct {
	changes []change
}

// append is AppendSnapshot with e's scratch.
func (e *snapshotEncoder) append(dst []byte, base, cur *Snapshot, inputAck uint32) []byte {
	var age uint32
	var old []Entity
	if base != nil && base.Tick != 0 && base.Tick < cur.Tick {
		age, old = cur.Tick-base.Tick, base.Entities
	}
	now := cur.Entities
	dst = append(dst, 0x97, byte(KindSnapshot))
	dst = appendUint(dst, uint64(cur.Tick))
	dst = appendUint(dst, uint64(age))
	dst = appendUint(dst, uint64(inputAck))

	// One pass writes the created runs and finds the updated entities. The
	// created list is written after a 5-byte placeholder header, which is
	// then rewritten in its shortest form.
	at, body := reserve(&dst)
	var st updateStats
	e.changes = e.changes[:0]
	n, prevCreated, prevUpdated, mg := 0, uint32(0), uint32(0), merge{list: old}
	for j := range now {
		b := &now[j]
		i := mg.match(b.ID)
		if i < 0 {
			dst, n = appendRun(dst, b, b.ID-prevCreated, n)
			prevCreated = b.ID
			continue
		}
		a := &old[i]
		if m := mask(a, b); m != 0 {
			st.add(idGap(b.ID, prevUpdated, len(e.changes)), a, b, m)
			e.changes = append(e.changes, change{old: int32(i), now: int32(j), mask: m})
			prevUpdated = b.ID
		}
	}
	dst = patchArray(dst, at, body, n)

	dst = appendUpdates(dst, old, now, e.changes, &st)

	at, body = reserve(&dst)
	n, prevRemoved := 0, uint32(0)
	mg = merge{list: now}
	for i := range old {
		if mg.match(old[i].ID) >= 0 {
			continue
		}
		dst = appendUint(dst, uint64(old[i].ID-prevRemoved))
		prevRemoved = old[i].ID
		n++
	}
	return patchArray(dst, at, body, n)
}

// merge walks an id-sorted entity list alongside another one.
type merge struct {
	list []Entity
	i    int
}

// match returns the index in list of the entity with the given id, or -1.
// Successive calls must ask for ascending ids.
func (m *merge) match(id uint32) int {
	for m.i < len(m.list) && m.list[m.i].ID < id {
		m.i++
	}
	if m.i < len(m.list) && m.list[m.i].ID == id {
		return m.i
	}
	return -1
}

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

// appendRun appends one created entity's run: id gap, the mask of its
// non-zero fields, then each of those fields in ascending order. It adds
// the run's element count to n.
func appendRun(dst []byte, e *Entity, gap uint32, n int) ([]byte, int) {
	m := mask(&zeroEntity, e)
	n += 2 + bits.OnesCount32(m)
	dst = appendUint(dst, uint64(gap))
	dst = appendUint(dst, uint64(m))
	for ; m != 0; m &= m - 1 {
		dst = appendInt(dst, int64(e.Fields[bits.TrailingZeros32(m)]))
	}
	return dst, n
}

var zeroEntity Entity

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
	age, err := r.uint32()
	if err != nil {
		return err
	}
	if f.InputAck, err = r.uint32(); err != nil {
		return err
	}
	if f.Tick == 0 {
		return r.errf("snapshot tick 0")
	}
	if age >= f.Tick {
		return r.errf("base_age %d reaches back past tick 1 from tick %d", age, f.Tick)
	}
	f.Base = 0
	if age != 0 {
		f.Base = f.Tick - age
	}
	budget := MaxSnapshotEntries
	if f.Created, err = decodeRuns(&r, f.Created[:0], &budget); err != nil {
		return err
	}
	if f.Updated, err = decodeUpdates(&r, f.Updated[:0], &budget); err != nil {
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

// decodeRuns decodes the created list, a flat array of entity runs, appending to dst and
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
