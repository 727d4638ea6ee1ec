package ecs

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
)

// Replay is the record of a match: what it was built from and every tick's
// inputs and resulting state hash. Re-simulating it (VerifyReplay) must
// reproduce every hash.
type Replay struct {
	ContentVersion string
	Mode           string
	Arena          string // the resolved arena id
	Seed           uint64
	Seats          []Seat
	Ticks          []ReplayTick // Ticks[i] is tick i+1
}

// ReplayTick is one tick of a replay.
type ReplayTick struct {
	Inputs []Input // as given to Step (at most MaxInputsPerTick)
	Hash   uint64  // Output.Hash of that tick
}

// The replay encoding, version 1. All integers are little-endian; "uv" is
// an unsigned LEB128 varint, "sv" a zig-zag signed varint, "str" a uv byte
// length then the bytes.
//
//	magic      8 bytes "PNTHRPLY"
//	version    uv (1)
//	content    str (<= 128 bytes)
//	mode       str (<= 64)
//	arena      str (<= 64)
//	seed       8 bytes
//	seats      uv count (<= MaxSeats), then per seat:
//	           sv seat, str player id (<= MaxPlayerIDLen), sv team,
//	           str archetype, str role, uv loadout count (<= 16) then str each,
//	           str pet, str form, str totem (content ids <= 64 bytes)
//	ticks      uv count (<= MaxTicks), then per tick:
//	           uv input count (<= MaxInputsPerTick), then per input:
//	             sv seat, uv seq, sv move x, sv move y, sv facing, uv cast,
//	             uv target, sv point x, sv point y, uv channel, uv gesture
//	           8 bytes state hash
//	checksum   4 bytes CRC-32 (IEEE) of every byte before it
//
// A decoder checks every count against the bytes left before allocating,
// every value against its field's range, and the checksum; nothing may
// follow the checksum. Seat numbers and teams are in the int32 range, the
// same on every platform, whatever the width of int: a replay that verifies
// on one machine verifies on all.
const (
	replayMagic   = "PNTHRPLY"
	replayVersion = 1
	// MaxReplayBytes bounds an encoded replay DecodeReplay accepts.
	MaxReplayBytes = 256 << 20
	maxIDLen       = 64
	maxVersionLen  = 128
	maxLoadoutRec  = 16
	minInputBytes  = 11
	minTickBytes   = 9
	minSeatBytes   = 10
)

func appendInput(b []byte, in *Input) []byte {
	b = binary.AppendVarint(b, int64(in.Seat))
	b = binary.AppendUvarint(b, uint64(in.Seq))
	b = binary.AppendVarint(b, int64(in.MoveX))
	b = binary.AppendVarint(b, int64(in.MoveY))
	b = binary.AppendVarint(b, int64(in.Facing))
	b = binary.AppendUvarint(b, uint64(in.Cast))
	b = binary.AppendUvarint(b, uint64(in.Target))
	b = binary.AppendVarint(b, int64(in.PointX))
	b = binary.AppendVarint(b, int64(in.PointY))
	b = binary.AppendUvarint(b, uint64(in.Channel))
	return binary.AppendUvarint(b, uint64(in.Gesture))
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendHeader encodes everything before the ticks.
func appendHeader(b []byte, version, mode, arena string, seed uint64, seats []Seat, ticks int) []byte {
	b = append(b, replayMagic...)
	b = binary.AppendUvarint(b, replayVersion)
	b = appendString(b, version)
	b = appendString(b, mode)
	b = appendString(b, arena)
	b = binary.LittleEndian.AppendUint64(b, seed)
	b = binary.AppendUvarint(b, uint64(len(seats)))
	for _, s := range seats {
		b = binary.AppendVarint(b, int64(s.Seat))
		b = appendString(b, s.PlayerID)
		b = binary.AppendVarint(b, int64(s.Team))
		o := s.Oracle
		b = appendString(b, o.Archetype)
		b = appendString(b, o.Role)
		b = binary.AppendUvarint(b, uint64(len(o.Loadout)))
		for _, a := range o.Loadout {
			b = appendString(b, a)
		}
		b = appendString(b, o.Pet)
		b = appendString(b, o.Form)
		b = appendString(b, o.Totem)
	}
	return binary.AppendUvarint(b, uint64(ticks))
}

// encodeReplay encodes the sim's record so far: the header, then the
// recorder's chunks concatenated, then the checksum.
func (s *Sim) encodeReplay() []byte {
	b := make([]byte, 0, 256+len(s.plan.seats)*64+s.rec.size+4)
	b = appendHeader(b, s.c.Version(), s.plan.mode.ID, s.plan.arena, s.plan.seed, s.plan.seats, s.rec.ticks)
	b = s.rec.appendBody(b)
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

// EncodeReplay encodes a replay (format version 1, documented above). It
// fails if the replay breaks a limit DecodeReplay enforces.
func EncodeReplay(r *Replay) ([]byte, error) {
	if err := checkReplayLimits(r); err != nil {
		return nil, err
	}
	b := appendHeader(nil, r.ContentVersion, r.Mode, r.Arena, r.Seed, r.Seats, len(r.Ticks))
	for _, t := range r.Ticks {
		b = binary.AppendUvarint(b, uint64(len(t.Inputs)))
		for i := range t.Inputs {
			b = appendInput(b, &t.Inputs[i])
		}
		b = binary.LittleEndian.AppendUint64(b, t.Hash)
	}
	b = binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	if len(b) > MaxReplayBytes {
		return nil, fmt.Errorf("%w: encoded size %d exceeds %d bytes", ErrBadReplay, len(b), MaxReplayBytes)
	}
	return b, nil
}

func inInt32(v int) bool { return v >= math.MinInt32 && v <= math.MaxInt32 }

func checkReplayLimits(r *Replay) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadReplay, fmt.Sprintf(format, args...))
	}
	switch {
	case len(r.ContentVersion) > maxVersionLen:
		return bad("content version longer than %d bytes", maxVersionLen)
	case len(r.Mode) > maxIDLen || len(r.Arena) > maxIDLen:
		return bad("mode or arena id longer than %d bytes", maxIDLen)
	case len(r.Seats) > MaxSeats:
		return bad("%d seats, at most %d", len(r.Seats), MaxSeats)
	case len(r.Ticks) > MaxTicks:
		return bad("%d ticks, at most %d", len(r.Ticks), MaxTicks)
	}
	for i, s := range r.Seats {
		if !inInt32(s.Seat) || !inInt32(s.Team) {
			return bad("seats[%d]: seat %d or team %d outside the int32 range", i, s.Seat, s.Team)
		}
		o := s.Oracle
		if len(s.PlayerID) > MaxPlayerIDLen || len(o.Loadout) > maxLoadoutRec ||
			len(o.Archetype) > maxIDLen || len(o.Role) > maxIDLen || len(o.Pet) > maxIDLen ||
			len(o.Form) > maxIDLen || len(o.Totem) > maxIDLen {
			return bad("seats[%d]: a field is over its length limit", i)
		}
		for _, a := range o.Loadout {
			if len(a) > maxIDLen {
				return bad("seats[%d]: loadout id longer than %d bytes", i, maxIDLen)
			}
		}
	}
	for i, t := range r.Ticks {
		if len(t.Inputs) > MaxInputsPerTick {
			return bad("tick %d: %d inputs, at most %d", i+1, len(t.Inputs), MaxInputsPerTick)
		}
		for _, in := range t.Inputs {
			if !inInt32(in.Seat) {
				return bad("tick %d: input seat %d outside the int32 range", i+1, in.Seat)
			}
		}
	}
	return nil
}

// replayReader decodes with bounds checks; the first error sticks.
type replayReader struct {
	b   []byte
	pos int
	err error
}

func (r *replayReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: at byte %d: %s", ErrBadReplay, r.pos, fmt.Sprintf(format, args...))
	}
}

func (r *replayReader) left() int { return len(r.b) - r.pos }

func (r *replayReader) uvarint(what string, limit uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.pos:])
	if n <= 0 {
		r.fail("%s: truncated or overlong varint", what)
		return 0
	}
	r.pos += n
	if v > limit {
		r.fail("%s: %d exceeds %d", what, v, limit)
		return 0
	}
	return v
}

func (r *replayReader) varint(what string, lo, hi int64) int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b[r.pos:])
	if n <= 0 {
		r.fail("%s: truncated or overlong varint", what)
		return 0
	}
	r.pos += n
	if v < lo || v > hi {
		r.fail("%s: %d outside %d..%d", what, v, lo, hi)
		return 0
	}
	return v
}

func (r *replayReader) fixed(what string, n int) []byte {
	if r.err != nil {
		return nil
	}
	if r.left() < n {
		r.fail("%s: truncated", what)
		return nil
	}
	r.pos += n
	return r.b[r.pos-n : r.pos]
}

func (r *replayReader) u64(what string) uint64 {
	if b := r.fixed(what, 8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (r *replayReader) str(what string, limit int) string {
	n := r.uvarint(what+" length", uint64(limit))
	return string(r.fixed(what, int(n)))
}

// count reads a count and checks that count*minBytes more bytes exist.
func (r *replayReader) count(what string, limit uint64, minBytes int) int {
	n := r.uvarint(what, limit)
	if r.err == nil && n > uint64(r.left()/minBytes) {
		r.fail("%s: %d declared but only %d bytes left", what, n, r.left())
		return 0
	}
	return int(n)
}

// DecodeReplay decodes bytes made by EncodeReplay or Result.Replay. It is
// safe on hostile input: every length is bounded and checked against the
// bytes left before anything is allocated, and any defect is an error
// wrapping ErrBadReplay, never a panic.
func DecodeReplay(data []byte) (*Replay, error) {
	if len(data) > MaxReplayBytes {
		return nil, fmt.Errorf("%w: %d bytes exceeds %d", ErrBadReplay, len(data), MaxReplayBytes)
	}
	if len(data) < len(replayMagic)+4 || string(data[:len(replayMagic)]) != replayMagic {
		return nil, fmt.Errorf("%w: not a replay (bad magic)", ErrBadReplay)
	}
	body := data[:len(data)-4]
	if got, want := crc32.ChecksumIEEE(body), binary.LittleEndian.Uint32(data[len(data)-4:]); got != want {
		return nil, fmt.Errorf("%w: checksum %08x does not match %08x (corrupted)", ErrBadReplay, got, want)
	}
	r := &replayReader{b: body, pos: len(replayMagic)}
	if v := r.uvarint("version", math.MaxUint32); r.err == nil && v != replayVersion {
		return nil, fmt.Errorf("%w: format version %d, this build reads %d", ErrBadReplay, v, replayVersion)
	}
	rp := &Replay{}
	rp.ContentVersion = r.str("content version", maxVersionLen)
	rp.Mode = r.str("mode", maxIDLen)
	rp.Arena = r.str("arena", maxIDLen)
	rp.Seed = r.u64("seed")
	if n := r.count("seat count", MaxSeats, minSeatBytes); n > 0 {
		rp.Seats = make([]Seat, n)
		for i := range rp.Seats {
			rp.Seats[i] = r.seat()
		}
	}
	n := r.count("tick count", MaxTicks, minTickBytes)
	if r.err != nil {
		return nil, r.err
	}
	rp.Ticks = make([]ReplayTick, n)
	for i := range rp.Ticks {
		k := r.count("input count", MaxInputsPerTick, minInputBytes)
		if k > 0 {
			rp.Ticks[i].Inputs = make([]Input, k)
			for j := range rp.Ticks[i].Inputs {
				rp.Ticks[i].Inputs[j] = r.input()
			}
		}
		rp.Ticks[i].Hash = r.u64("tick hash")
		if r.err != nil {
			return nil, fmt.Errorf("tick %d: %w", i+1, r.err)
		}
	}
	if r.left() != 0 {
		return nil, fmt.Errorf("%w: %d unexpected bytes after the last tick", ErrBadReplay, r.left())
	}
	return rp, nil
}

func (r *replayReader) seat() Seat {
	var s Seat
	s.Seat = int(r.varint("seat", math.MinInt32, math.MaxInt32))
	s.PlayerID = r.str("player id", MaxPlayerIDLen)
	s.Team = int(r.varint("team", math.MinInt32, math.MaxInt32))
	s.Oracle.Archetype = r.str("archetype", maxIDLen)
	s.Oracle.Role = r.str("role", maxIDLen)
	if n := r.count("loadout count", maxLoadoutRec, 1); n > 0 {
		s.Oracle.Loadout = make([]string, n)
		for i := range s.Oracle.Loadout {
			s.Oracle.Loadout[i] = r.str("loadout", maxIDLen)
		}
	}
	s.Oracle.Pet = r.str("pet", maxIDLen)
	s.Oracle.Form = r.str("form", maxIDLen)
	s.Oracle.Totem = r.str("totem", maxIDLen)
	return s
}

func (r *replayReader) input() Input {
	const lo, hi = math.MinInt32, math.MaxInt32
	return Input{
		Seat:    int(r.varint("input seat", lo, hi)),
		Seq:     uint32(r.uvarint("seq", math.MaxUint32)),
		MoveX:   int32(r.varint("move x", lo, hi)),
		MoveY:   int32(r.varint("move y", lo, hi)),
		Facing:  int32(r.varint("facing", lo, hi)),
		Cast:    uint8(r.uvarint("cast", math.MaxUint8)),
		Target:  uint32(r.uvarint("target", math.MaxUint32)),
		PointX:  int32(r.varint("point x", lo, hi)),
		PointY:  int32(r.varint("point y", lo, hi)),
		Channel: uint8(r.uvarint("channel", math.MaxUint8)),
		Gesture: uint8(r.uvarint("gesture", math.MaxUint8)),
	}
}
