package ecs

import (
	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/yohamta/donburi"
)

// Input is one player command for one tick. Every field except Seat (which
// the room fills from the connection, not from the wire) is a fixed-size
// integer. Movement, facing and channel are held intent: they stay in force
// until the seat's next input. Cast and Gesture are one-shot actions.
type Input struct {
	Seat    int    // the seat sending it
	Seq     uint32 // per-seat sequence number; must increase
	MoveX   int32  // movement direction, permille of full speed; a vector longer than MaxMove is clamped
	MoveY   int32
	Facing  int32  // 0-255 (1/256 turn, 0 along +x, 64 along +y); out of range wraps
	Cast    uint8  // CastNone, 1..MaxLoadout for a loadout slot, or CastShapeshift
	Target  uint32 // target entity id for the cast, 0 none
	PointX  int32  // target point of the cast, cm
	PointY  int32
	Channel uint8 // ritual: 1 channel at the sigil underfoot, 0 stop
	Gesture uint8 // ritual: 1..MaxGesture, 0 none
}

// Input limits and special values.
const (
	// MaxMove is the length of a full-speed movement vector.
	MaxMove = 1000
	// CastNone means the input casts nothing.
	CastNone = 0
	// CastShapeshift toggles the oracle's shapeshift form.
	CastShapeshift = MaxLoadout + 1
	// MaxGesture is the highest gesture id.
	MaxGesture = content.MaxGesture
	// MaxInputsPerSeat is how many inputs one seat may have applied in one
	// tick; more are rejected with ReasonFlood.
	MaxInputsPerSeat = 8
	// MaxInputsPerTick bounds the inputs Step looks at in one tick; the rest
	// are dropped (and not recorded) with one ReasonFlood event.
	MaxInputsPerTick = MaxSeats * MaxInputsPerSeat
)

// applyInputs applies the tick's inputs in order and returns a digest of
// them, which goes into the tick's hash so that any changed input is caught
// at its tick even when it changed nothing else.
func (s *Sim) applyInputs(inputs []Input) uint64 {
	for i := range s.seats {
		s.seats[i].inputs = 0
	}
	var h hasher
	for i := range inputs {
		h.input(&inputs[i])
		s.applyInput(&inputs[i])
	}
	return h.sum()
}

func (s *Sim) applyInput(in *Input) {
	if in.Seat < 0 || in.Seat >= MaxSeats || s.seatIdx[in.Seat] < 0 {
		s.event(Event{Kind: EventInputRejected, Code: uint8(ReasonUnknownSeat), Seat: -1, Amount: int32(in.Seq), Ref: -1})
		return
	}
	st := &s.seats[s.seatIdx[in.Seat]]
	seat := int16(st.seat)
	if st.seen && in.Seq <= st.lastSeq {
		s.event(Event{Kind: EventInputRejected, Code: uint8(ReasonStaleSeq), Seat: seat, Amount: int32(in.Seq), Ref: -1})
		return
	}
	st.inputs++
	if st.inputs > MaxInputsPerSeat {
		s.event(Event{Kind: EventInputRejected, Code: uint8(ReasonFlood), Seat: seat, Amount: int32(in.Seq), Ref: -1})
		return
	}
	st.seen, st.lastSeq = true, in.Seq
	e := s.slots[st.slot].entry
	if !alive(e) {
		if in.Cast != CastNone || in.Gesture != 0 {
			s.event(Event{Kind: EventInputRejected, Code: uint8(ReasonDead), Seat: seat, Amount: int32(in.Seq), Ref: -1})
		}
		return
	}
	s.applyIntent(st, e, in)
	if in.Cast != CastNone {
		s.cast(st, e, in)
	}
	if in.Gesture != 0 {
		s.gesture(st, e, in)
	}
}

// applyIntent takes the held parts of an input: movement, facing, channel.
func (s *Sim) applyIntent(st *seatState, e *donburi.Entry, in *Input) {
	seat := int16(st.seat)
	// Bound each component first so the squared length cannot overflow.
	const bound = 1 << 24
	mx, my := max(-bound, min(int64(in.MoveX), bound)), max(-bound, min(int64(in.MoveY), bound))
	if m2 := mx*mx + my*my; m2 > MaxMove*MaxMove {
		m := isqrt(m2)
		mx, my = mx*MaxMove/m, my*MaxMove/m
		s.event(Event{Kind: EventInputClamped, Code: uint8(ReasonSpeed), Seat: seat, Amount: int32(in.Seq), Ref: -1})
	}
	st.moveX, st.moveY = int32(mx), int32(my)
	if in.Facing < 0 || in.Facing > 255 {
		s.event(Event{Kind: EventInputClamped, Code: uint8(ReasonFacing), Seat: seat, Amount: int32(in.Seq), Ref: -1})
	}
	st.facing = uint8(in.Facing & 255)
	bodyC.Get(e).facing = st.facing
	switch {
	case in.Channel > 1:
		s.event(Event{Kind: EventInputRejected, Code: uint8(ReasonBadValue), Seat: seat, Amount: int32(in.Seq), Ref: -1})
	case in.Channel == 1 && s.plan.kind != modeRitual:
		if !st.channel {
			s.event(Event{Kind: EventInputRejected, Code: uint8(ReasonWrongMode), Seat: seat, Amount: int32(in.Seq), Ref: -1})
		}
		st.channel = true // remembered only to report the misuse once
	default:
		if in.Channel == 1 {
			s.checkChannel(st, e, in)
		}
		st.channel = in.Channel == 1
	}
}

// moveOracles moves every living, free oracle along its seat's intent at
// its speed (form and totem auras included), inside the arena.
func (s *Sim) moveOracles() {
	for e := range s.q.casters.Iter(s.world) {
		t := tagC.Get(e)
		v := vitalsC.Get(e)
		if !t.active || v.hp <= 0 {
			continue
		}
		fx := effectsC.Get(e)
		if fx.stunTicks > 0 || fx.channeling {
			continue
		}
		st := &s.seats[casterC.Get(e).seatIdx]
		if st.moveX == 0 && st.moveY == 0 {
			continue
		}
		b := bodyC.Get(e)
		speed := int64(pct(b.speed, 100+v.auraSpeed))
		x := int64(b.x) + speed*int64(st.moveX)/MaxMove
		y := int64(b.y) + speed*int64(st.moveY)/MaxMove
		b.x, b.y = clamp64(x, 0, int64(s.width)), clamp64(y, 0, int64(s.height))
	}
}
