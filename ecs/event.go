package ecs

import (
	"fmt"

	"github.com/pantheon-oracles/pantheon/ecs/content"
)

// Event is one thing that happened during a tick, as plain integers so the
// room server can put it on the wire as a small positional array. Which
// fields mean what depends on Kind (see the EventKind constants); unused
// fields are 0, and Seat and Ref are -1 when they name nothing.
type Event struct {
	Tick   uint32    // the tick it happened in
	Kind   EventKind // what happened
	Code   uint8     // kind-specific: a Cause, Reason, Status, hazard or surge stage, Outcome...
	Seat   int16     // the seat acting or concerned, -1 none
	Source uint32    // entity id of the actor, 0 none
	Target uint32    // entity id acted on, 0 none
	Amount int32     // kind-specific quantity
	Ref    int32     // kind-specific content index, -1 none
}

// EventKind says what an Event reports. The values are part of the event
// protocol: never reorder.
type EventKind uint8

// Event kinds, with the meaning of their fields.
const (
	EventNone EventKind = iota
	// EventDamage: Source hit Target for Amount hit points (after shields and
	// armour; Ref is the ability index for CauseAbility, the hazard index for
	// CauseHazard, else -1). Code is a Cause; Seat the attacker's seat.
	EventDamage
	// EventHeal: Target regained Amount hit points from Source. Code is a Cause.
	EventHeal
	// EventDeath: Target died; Source (Seat) dealt the killing blow.
	EventDeath
	// EventStatusApplied: Target got status Code for Amount ticks from Source.
	EventStatusApplied
	// EventStatusExpired: status Code ran out (or its shield broke) on Target.
	EventStatusExpired
	// EventCast: Seat's oracle Source cast ability Ref on Target (0 for a
	// point or self area); Amount is the energy spent.
	EventCast
	// EventCastRejected: Seat's cast of slot Ref was refused for Reason Code.
	EventCastRejected
	// EventInputClamped: Seat's input Amount (its sequence number) was
	// corrected for Reason Code (too fast, facing out of range...).
	EventInputClamped
	// EventInputRejected: Seat's input Amount (its sequence number) was
	// ignored for Reason Code.
	EventInputRejected
	// EventShapeshift: Seat's oracle Source took form Ref (Amount 1) or
	// returned to its own shape (Amount 0).
	EventShapeshift
	// EventSpawn: Source (the boss, or 0) brought Target into the match: an
	// add of npc index Ref.
	EventSpawn
	// EventPhase: boss Source entered phase Amount (1-based).
	EventPhase
	// EventEnrage: boss Source is enraged; Code 1 by the timer, 2 by its phase.
	EventEnrage
	// EventHazard: hazard zone Target of hazard index Ref reached stage Code
	// (HazardWarn, HazardStrike or HazardEnd); Amount is how many it hit.
	EventHazard
	// EventRitualProgress: sigil Ref's progress is Amount (of 1000), after
	// Seat's gesture (Code 1) or channelling (Code 0).
	EventRitualProgress
	// EventSigilComplete: sigil Ref is complete; Amount is the number of
	// steps of the sequence done so far.
	EventSigilComplete
	// EventSurge: a void surge at stage Code (SurgeWarn or SurgeStrike);
	// Amount is how many channelers it interrupted.
	EventSurge
	// EventInterrupted: Seat's oracle Target was interrupted while channelling.
	EventInterrupted
	// EventCodex: Seat unlocked codex entry Ref; Target is the entity the
	// deed was done to, if any.
	EventCodex
	// EventMatchEnd: the match ended with outcome Code (an Outcome index);
	// Amount is the winning team or -1.
	EventMatchEnd
	eventKindCount
)

// String names the event kind.
func (k EventKind) String() string {
	names := [...]string{"none", "damage", "heal", "death", "status_applied", "status_expired",
		"cast", "cast_rejected", "input_clamped", "input_rejected", "shapeshift", "spawn",
		"phase", "enrage", "hazard", "ritual_progress", "sigil_complete", "surge",
		"interrupted", "codex", "match_end"}
	if int(k) < len(names) {
		return names[k]
	}
	return fmt.Sprintf("event(%d)", uint8(k))
}

// Cause says where damage or healing came from (Event.Code).
type Cause uint8

// Causes of damage and healing.
const (
	CauseNone    Cause = iota
	CauseAbility       // an oracle's ability
	CauseAttack        // a pet, add or boss attack
	CauseBurn          // a burn status
	CauseHazard        // a hazard zone
	CauseSurge         // a ritual void surge
	CauseSlam          // a boss's area slam
	CauseAura          // a totem's regeneration aura
)

// String names the cause.
func (c Cause) String() string {
	names := [...]string{"none", "ability", "attack", "burn", "hazard", "surge", "slam", "aura"}
	if int(c) < len(names) {
		return names[c]
	}
	return fmt.Sprintf("cause(%d)", uint8(c))
}

// Reason says why an input was clamped or rejected (Event.Code).
type Reason uint8

// Rejection and clamp reasons.
const (
	ReasonNone            Reason = iota
	ReasonUnknownSeat            // no such seat in this match
	ReasonStaleSeq               // sequence number not above the seat's last
	ReasonFlood                  // too many inputs from the seat (or in total) this tick
	ReasonDead                   // the seat's oracle is dead
	ReasonStunned                // the oracle is stunned
	ReasonUnknownSlot            // no ability in that slot (or no form to take)
	ReasonCooldown               // the ability is cooling down
	ReasonNoEnergy               // not enough energy
	ReasonBadTarget              // target missing, dead, or on the wrong side
	ReasonOutOfRange             // target or point beyond the ability's range
	ReasonBadGesture             // unknown gesture, or not the sigil's gesture
	ReasonNotChanneling          // gesture while not channelling at the current sigil
	ReasonWrongMode              // channel or gesture outside a ritual
	ReasonGestureCooldown        // gestures too close together
	ReasonSpeed                  // movement faster than the oracle can move (clamped)
	ReasonFacing                 // facing outside 0-255 (wrapped)
	ReasonBadValue               // a field outside its range (e.g. channel not 0 or 1)
	ReasonLockout                // channelling while locked out by a surge
	ReasonNotAtSigil             // channelling away from every sigil
)

// String names the reason.
func (r Reason) String() string {
	names := [...]string{"none", "unknown_seat", "stale_seq", "flood", "dead", "stunned",
		"unknown_slot", "cooldown", "no_energy", "bad_target", "out_of_range", "bad_gesture",
		"not_channeling", "wrong_mode", "gesture_cooldown", "speed", "facing", "bad_value",
		"lockout", "not_at_sigil"}
	if int(r) < len(names) {
		return names[r]
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// Stages of hazards and surges (Event.Code).
const (
	HazardWarn   = 1 // the zone appeared; it strikes when the warning ends
	HazardStrike = 2 // the zone hit what stood in it
	HazardEnd    = 3 // the zone is gone
	SurgeWarn    = 1 // a void surge is coming
	SurgeStrike  = 2 // the surge struck
)

// event appends one event stamped with the current tick.
func (s *Sim) event(e Event) {
	e.Tick = s.tick
	s.events = append(s.events, e)
}

// FormatEvent renders an event for people, naming content c's definitions
// by id. It allocates; use it for logs, tools and tests, not per tick on a
// hot path.
func FormatEvent(c *content.Bundle, e Event) string {
	ref := fmt.Sprint(e.Ref)
	// id names definition e.Ref of a list, or leaves ref as the number.
	id := func(n int, at func(int) string) (string, bool) {
		if e.Ref < 0 || int(e.Ref) >= n {
			return "", false
		}
		return at(int(e.Ref)), true
	}
	switch e.Kind {
	case EventDamage, EventHeal:
		ref = Cause(e.Code).String()
		if Cause(e.Code) == CauseAbility {
			if s, ok := id(len(c.Abilities()), func(i int) string { return c.AbilityAt(i).ID }); ok {
				ref += ":" + s
			}
		}
		if Cause(e.Code) == CauseHazard {
			if s, ok := id(len(c.Hazards()), func(i int) string { return c.HazardAt(i).ID }); ok {
				ref += ":" + s
			}
		}
		return fmt.Sprintf("t%d %s seat=%d %d->%d amount=%d by=%s", e.Tick, e.Kind, e.Seat, e.Source, e.Target, e.Amount, ref)
	case EventStatusApplied, EventStatusExpired:
		return fmt.Sprintf("t%d %s %s on %d by %d ticks=%d", e.Tick, e.Kind, Status(e.Code), e.Target, e.Source, e.Amount)
	case EventCast:
		if s, ok := id(len(c.Abilities()), func(i int) string { return c.AbilityAt(i).ID }); ok {
			ref = s
		}
		return fmt.Sprintf("t%d cast seat=%d %s %d->%d energy=%d", e.Tick, e.Seat, ref, e.Source, e.Target, e.Amount)
	case EventCastRejected:
		return fmt.Sprintf("t%d cast_rejected seat=%d slot=%d reason=%s", e.Tick, e.Seat, e.Ref, Reason(e.Code))
	case EventInputClamped, EventInputRejected:
		return fmt.Sprintf("t%d %s seat=%d seq=%d reason=%s", e.Tick, e.Kind, e.Seat, e.Amount, Reason(e.Code))
	case EventShapeshift:
		if s, ok := id(len(c.Forms()), func(i int) string { return c.FormAt(i).ID }); ok {
			ref = s
		}
		return fmt.Sprintf("t%d shapeshift seat=%d %d form=%s on=%d", e.Tick, e.Seat, e.Source, ref, e.Amount)
	case EventSpawn:
		if s, ok := id(len(c.NPCs()), func(i int) string { return c.NPCAt(i).ID }); ok {
			ref = s
		}
		return fmt.Sprintf("t%d spawn %s %d by %d", e.Tick, ref, e.Target, e.Source)
	case EventHazard:
		if s, ok := id(len(c.Hazards()), func(i int) string { return c.HazardAt(i).ID }); ok {
			ref = s
		}
		stage := [...]string{"?", "warn", "strike", "end"}[min(int(e.Code), 3)]
		return fmt.Sprintf("t%d hazard %s %d %s hit=%d", e.Tick, ref, e.Target, stage, e.Amount)
	case EventSurge:
		stage := [...]string{"?", "warn", "strike"}[min(int(e.Code), 2)]
		return fmt.Sprintf("t%d surge %s interrupted=%d", e.Tick, stage, e.Amount)
	case EventCodex:
		if s, ok := id(len(c.Codex()), func(i int) string { return c.CodexAt(i).ID }); ok {
			ref = s
		}
		return fmt.Sprintf("t%d codex seat=%d %s target=%d", e.Tick, e.Seat, ref, e.Target)
	case EventMatchEnd:
		return fmt.Sprintf("t%d match_end %s team=%d", e.Tick, outcomeName(int(e.Code)), e.Amount)
	default:
		// the other kinds print in the generic form below.
	}
	return fmt.Sprintf("t%d %s seat=%d src=%d dst=%d amount=%d code=%d ref=%d", e.Tick, e.Kind, e.Seat, e.Source, e.Target, e.Amount, e.Code, e.Ref)
}
