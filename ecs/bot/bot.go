package bot

import (
	"fmt"
	"slices"

	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/content"
)

// Bot plays one seat from what a client sees: the entity views of the
// previous tick. It is deterministic: the same views and seed give the same
// inputs.
type Bot struct {
	seat      int
	team      int32
	kind      string // mode kind: battle, raid or ritual
	hz        int
	abilities []content.AbilityDef
	hasForm   bool
	ritual    *content.RitualDef
	seq       uint32
	rng       uint64
	slot      int // next loadout slot to try
	shifted   bool
	sloppy    int // one gesture in sloppy is deliberately wrong (0: never)
}

// New makes the bot for seat in a match of mode and arena ("" for the
// mode's default). sloppy makes one gesture in sloppy a wrong one (0 never).
func New(c *content.Bundle, mode, arena string, seat ecs.Seat, seed uint64, sloppy int) (*Bot, error) {
	m, ok := c.Mode(mode)
	if !ok {
		return nil, fmt.Errorf("bot: unknown mode %q", mode)
	}
	if err := ecs.ValidateOracle(c, seat.Oracle); err != nil {
		return nil, fmt.Errorf("bot: seat %d: %w", seat.Seat, err)
	}
	b := &Bot{seat: seat.Seat, team: int32(seat.Team), kind: m.Kind, hz: int(m.TickHz), hasForm: seat.Oracle.Form != "",
		rng: seed ^ uint64(seat.Seat+1)*0x9e3779b97f4a7c15, sloppy: sloppy}
	loadout := seat.Oracle.Loadout
	abilities := c.Abilities()
	if len(loadout) == 0 {
		for _, a := range c.Archetypes() {
			if a.ID == seat.Oracle.Archetype {
				loadout = a.DefaultLoadout
			}
		}
	}
	for _, id := range loadout {
		i := slices.IndexFunc(abilities, func(a content.AbilityDef) bool { return a.ID == id })
		b.abilities = append(b.abilities, abilities[i])
	}
	if arena == "" {
		arena = m.Arenas[0]
	}
	if m.Kind == "ritual" {
		for _, r := range c.Rituals() {
			if r.ID == arena {
				b.ritual = &r
			}
		}
	}
	return b, nil
}

// next returns a pseudo-random number (splitmix64).
func (b *Bot) next() uint64 {
	b.rng += 0x9e3779b97f4a7c15
	z := b.rng
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Act returns the bot's input for the coming tick given the views after the
// last one; ok is false when the bot has nothing to do (its oracle is dead).
func (b *Bot) Act(tick int, self uint32, views []ecs.EntityView) (in ecs.Input, ok bool) {
	i := slices.IndexFunc(views, func(v ecs.EntityView) bool { return v.ID == self })
	if i < 0 || views[i].F[ecs.ViewHP] <= 0 {
		return in, false
	}
	me := views[i]
	b.seq++
	in = ecs.Input{Seat: b.seat, Seq: b.seq, Facing: me.F[ecs.ViewFacing]}
	if b.kind == "ritual" {
		b.ritualAct(tick, me, views, &in)
		return in, true
	}
	target, found := b.pickTarget(me, views)
	if !found {
		return in, true
	}
	dx, dy := target.F[ecs.ViewX]-me.F[ecs.ViewX], target.F[ecs.ViewY]-me.F[ecs.ViewY]
	in.Facing = int32(facing(dx, dy))
	dist := approxDist(dx, dy)
	if dist > 450 {
		in.MoveX, in.MoveY = scaleTo(dx, dy, dist, ecs.MaxMove)
	}
	if b.hasForm && !b.shifted && tick > 30 {
		b.shifted = true
		in.Cast = ecs.CastShapeshift
		return in, true
	}
	if tick%6 == 0 && len(b.abilities) > 0 {
		b.cast(me, target, dist, &in)
	}
	return in, true
}

// pickTarget chooses what to fight: in a battle the nearest enemy oracle
// (else anything hostile), in a raid the nearest add within 4 m, else the boss.
func (b *Bot) pickTarget(me ecs.EntityView, views []ecs.EntityView) (ecs.EntityView, bool) {
	var best ecs.EntityView
	bestD, found := int64(-1), false
	consider := func(v ecs.EntityView, bonus int64) {
		dx, dy := int64(v.F[ecs.ViewX]-me.F[ecs.ViewX]), int64(v.F[ecs.ViewY]-me.F[ecs.ViewY])
		d := dx*dx + dy*dy + bonus
		if !found || d < bestD {
			best, bestD, found = v, d, true
		}
	}
	for _, v := range views {
		if v.F[ecs.ViewTeam] == b.team || v.F[ecs.ViewTeam] < 0 || v.F[ecs.ViewHP] <= 0 {
			continue
		}
		switch k := ecs.Kind(v.F[ecs.ViewKind]); {
		case k == ecs.KindOracle, k == ecs.KindBoss:
			consider(v, 0)
		case b.kind == "raid" && k == ecs.KindAdd:
			dx, dy := int64(v.F[ecs.ViewX]-me.F[ecs.ViewX]), int64(v.F[ecs.ViewY]-me.F[ecs.ViewY])
			if dx*dx+dy*dy < 400*400 {
				consider(v, -1<<40)
			}
		case k == ecs.KindPet, k == ecs.KindTotem:
			consider(v, 1<<40)
		}
	}
	return best, found
}

// cast tries the next loadout slot whose target rules fit.
func (b *Bot) cast(me, target ecs.EntityView, dist int64, in *ecs.Input) {
	for range len(b.abilities) {
		slot := b.slot
		b.slot = (b.slot + 1) % len(b.abilities)
		a := b.abilities[slot]
		ok := false
		switch a.Target {
		case "enemy":
			ok = dist <= int64(a.RangeCm)
			in.Target = target.ID
		case "point":
			ok = dist <= int64(a.RangeCm) || a.DashCm > 0
			in.PointX, in.PointY = target.F[ecs.ViewX], target.F[ecs.ViewY]
			if a.Affects == "allies" {
				ok = me.F[ecs.ViewHP]*10 < me.F[ecs.ViewMaxHP]*8
				in.PointX, in.PointY = me.F[ecs.ViewX], me.F[ecs.ViewY]
			}
			if a.DashCm > 0 && dist > int64(a.RangeCm) {
				dx, dy := scaleTo(target.F[ecs.ViewX]-me.F[ecs.ViewX], target.F[ecs.ViewY]-me.F[ecs.ViewY], dist, a.RangeCm-10)
				in.PointX, in.PointY = me.F[ecs.ViewX]+dx, me.F[ecs.ViewY]+dy
			}
		case "self":
			ok = a.RadiusCm == 0 || a.Affects == "allies" || dist <= int64(a.RadiusCm)
		case "ally":
			ok = me.F[ecs.ViewHP]*10 < me.F[ecs.ViewMaxHP]*8 || a.Status == "ward"
			in.Target = 0
		}
		if ok {
			in.Cast = uint8(slot + 1)
			return
		}
		in.Target, in.PointX, in.PointY = 0, 0, 0
	}
}

// ritualAct walks to the sigil the sequence wants, channels there, makes its
// gesture when the cooldown allows and wards itself when it can.
func (b *Bot) ritualAct(tick int, me ecs.EntityView, views []ecs.EntityView, in *ecs.Input) {
	progress := make([]int32, len(b.ritual.Sigils))
	for _, v := range views {
		if ecs.Kind(v.F[ecs.ViewKind]) == ecs.KindSigil && int(v.F[ecs.ViewContent]) < len(progress) {
			progress[v.F[ecs.ViewContent]] = v.F[ecs.ViewProgress]
		}
	}
	cur := int32(-1)
	for _, s := range b.ritual.Sequence {
		if progress[s] < 1000 {
			cur = s
			break
		}
	}
	if cur < 0 {
		return
	}
	sg := b.ritual.Sigils[cur]
	dx, dy := sg.X-me.F[ecs.ViewX], sg.Y-me.F[ecs.ViewY]
	dist := approxDist(dx, dy)
	if dist > int64(b.ritual.SigilRadiusCm)/2 {
		in.MoveX, in.MoveY = scaleTo(dx, dy, dist, ecs.MaxMove)
		return
	}
	in.Channel = 1
	gestureEvery := int(b.ritual.GestureCooldownMs)*b.hz/1000 + 1
	if tick%gestureEvery == int(b.seat)%gestureEvery {
		in.Gesture = sg.Gesture
		if b.sloppy > 0 && b.next()%uint64(b.sloppy) == 0 {
			in.Gesture = sg.Gesture%ecs.MaxGesture + 1
		}
	}
	for slot, a := range b.abilities {
		if a.Status == "ward" && tick%90 == int(b.seat)*7%90 {
			in.Cast, in.Target = uint8(slot+1), 0
		}
	}
}

// scaleTo scales (dx, dy) of length dist to length n.
func scaleTo(dx, dy int32, dist int64, n int32) (int32, int32) {
	if dist == 0 {
		return 0, 0
	}
	return int32(int64(dx) * int64(n) / dist), int32(int64(dy) * int64(n) / dist)
}

// approxDist approximates the length of (dx, dy) within about 12% (the
// octagonal norm: the larger component plus half the smaller); a bot needs
// no more.
func approxDist(dx, dy int32) int64 {
	ax, ay := max(int64(dx), -int64(dx)), max(int64(dy), -int64(dy))
	return max(ax, ay) + min(ax, ay)/2
}

// facing approximates the direction of (dx, dy) in 1/256 turns by the
// octant and the slope (good enough for a bot; the sim checks nothing).
func facing(dx, dy int32) uint8 {
	switch {
	case dx == 0 && dy == 0:
		return 0
	case dx >= 0 && dy >= 0:
		return uint8(64 * int64(dy) / (int64(dx) + int64(dy)))
	case dx < 0 && dy >= 0:
		return uint8(64 + 64*int64(-dx)/(int64(-dx)+int64(dy)))
	case dx < 0:
		return uint8(128 + 64*int64(-dy)/(int64(-dx)+int64(-dy)))
	}
	return uint8(192 + 64*int64(dx)/(int64(dx)+int64(-dy)))
}
