package server

import (
	"fmt"
	"slices"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/netcode"
)

// simEngine adapts *ecs.Sim to a room's engine: wire inputs to sim inputs,
// sim events and views to wire events and entities, and the sim's Result to
// a contract.MatchRecord.
type simEngine struct {
	sim    *ecs.Sim
	in     []ecs.Input
	views  []ecs.EntityView
	result *ecs.Result
}

// simFactory builds rooms on content.
func simFactory(content *content.Bundle) engineFactory {
	return func(spec contract.RoomSpec) (engine, error) {
		cfg := ecs.Config{Mode: spec.Mode, Arena: spec.Arena, Seed: spec.Seed}
		for _, st := range spec.Seats {
			o := st.Oracle
			o.Loadout = slices.Clone(o.Loadout)
			cfg.Seats = append(cfg.Seats, ecs.Seat{Seat: st.Seat, PlayerID: st.PlayerID, Team: st.Team, Oracle: o})
		}
		sim, err := ecs.New(content, cfg)
		if err != nil {
			return nil, err
		}
		return &simEngine{sim: sim}, nil
	}
}

func (e *simEngine) TickRate() int { return e.sim.TickRate() }

func (e *simEngine) Step(inputs []seatInput, events []netcode.Event) (uint32, []netcode.Event, bool) {
	e.in = e.in[:0]
	for i := range inputs {
		e.in = append(e.in, simInput(&inputs[i]))
	}
	out := e.sim.Step(e.in)
	for i := range out.Events {
		events = append(events, wireEvent(&out.Events[i]))
	}
	if out.Result != nil {
		e.result = out.Result
	}
	return uint32(out.Tick), events, out.Done
}

func (e *simEngine) AppendEntities(dst []netcode.Entity) []netcode.Entity {
	e.views = e.sim.AppendView(e.views[:0])
	start := len(dst)
	for i := range e.views {
		v := &e.views[i]
		var ent netcode.Entity
		ent.ID = v.ID
		copy(ent.Fields[:], v.F[:])
		dst = append(dst, ent)
	}
	added := dst[start:]
	if !slices.IsSortedFunc(added, byEntityID) {
		slices.SortFunc(added, byEntityID)
	}
	return dst
}

func byEntityID(a, b netcode.Entity) int {
	switch {
	case a.ID < b.ID:
		return -1
	case a.ID > b.ID:
		return 1
	}
	return 0
}

func (e *simEngine) SeatEntity(seat int) uint32 {
	id, _ := e.sim.SeatEntity(seat)
	return id
}

func (e *simEngine) Finish() (contract.MatchRecord, error) {
	res := e.result
	if res == nil {
		res = e.sim.Abort()
	}
	if res == nil {
		return contract.MatchRecord{}, fmt.Errorf("server: simulation gave no result")
	}
	return matchRecord(res), nil
}

// simInput converts one wire input. cast_slot 0..MaxLoadout-1 are the
// loadout slots and MaxLoadout is shapeshift (the sim numbers them from 1);
// -1 is none. Values out of range are passed on as out of range, so the sim
// rejects them with an event instead of the server guessing.
func simInput(in *seatInput) ecs.Input {
	cast := uint8(ecs.CastNone)
	switch {
	case in.CastSlot == -1:
	case in.CastSlot >= 0 && in.CastSlot <= ecs.MaxLoadout:
		cast = uint8(in.CastSlot + 1)
	default:
		cast = 255
	}
	return ecs.Input{
		Seat: in.Seat, Seq: in.Seq,
		MoveX: in.MoveX, MoveY: in.MoveY, Facing: in.Facing,
		Cast: cast, Target: in.CastTarget, PointX: in.CastX, PointY: in.CastY,
		Channel: clampByte(in.Channel), Gesture: clampByte(in.Gesture),
	}
}

// WireInput is simInput's inverse: the netcode input a client sends for a
// sim input (sim cast 0, none, is slot -1 on the wire). Seat and sequence
// are left to the connection: the client numbers its own inputs. Bots and
// test clients that choose their moves with the simulation's types use it.
func WireInput(in ecs.Input) netcode.Input {
	return netcode.Input{MoveX: in.MoveX, MoveY: in.MoveY, Facing: in.Facing, CastSlot: int32(in.Cast) - 1,
		CastTarget: in.Target, CastX: in.PointX, CastY: in.PointY, Channel: int32(in.Channel), Gesture: int32(in.Gesture)}
}

// clampByte maps v to 0..255, out-of-range values to 255 (which the sim
// rejects as unknown).
func clampByte(v int32) uint8 {
	if v < 0 || v > 255 {
		return 255
	}
	return uint8(v)
}

// wireEvent puts a sim event on the wire as
// [kind, code, seat, source, target, amount, ref] (server/EVENTS.md).
func wireEvent(ev *ecs.Event) netcode.Event {
	return netcode.MakeEvent(int32(ev.Kind), int32(ev.Code), int32(ev.Seat),
		int32(ev.Source), int32(ev.Target), ev.Amount, ev.Ref)
}

// matchRecord converts a sim result; the room adds ids and times.
func matchRecord(r *ecs.Result) contract.MatchRecord {
	rec := contract.MatchRecord{
		Mode: r.Mode, Arena: r.Arena, ContentVersion: r.ContentVersion, Seed: r.Seed,
		Ticks: r.Ticks, Outcome: contract.Outcome(r.Outcome), WinningTeam: r.WinningTeam, FinalHash: r.FinalHash,
		Replay: r.Replay,
	}
	for _, s := range r.Seats {
		rec.Participants = append(rec.Participants, contract.Participant{
			PlayerID: s.PlayerID, Seat: s.Seat, Team: s.Team, Result: contract.Result(s.Result),
			Kills: s.Kills, Deaths: s.Deaths, DamageDealt: s.DamageDealt, DamageTaken: s.DamageTaken,
			Healing: s.Healing, Score: s.Score,
		})
	}
	for _, w := range r.Rewards {
		rec.Rewards = append(rec.Rewards, contract.Reward{PlayerID: w.PlayerID, Currency: w.Currency, Amount: w.Amount, ItemID: w.ItemID})
	}
	for _, c := range r.Codex {
		rec.Codex = append(rec.Codex, contract.CodexEntry{PlayerID: c.PlayerID, EntryID: c.EntryID, Tick: c.Tick, Detail: c.Detail})
	}
	return rec
}
