package server

import (
	"errors"
	"fmt"
	"testing"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/netcode"
)

// scriptEngine is a test double for the simulation: one entity per seat that
// moves by its inputs, a match that ends at endAt, and an optional panic at
// panicAt. It tests the server's machinery; the end-to-end tests use ecs.
type scriptEngine struct {
	rate    int
	seats   []contract.SeatSpec
	pos     [][2]int32
	tick    uint32
	endAt   uint32 // done at this tick; 0 never
	panicAt uint32 // panic at this tick; 0 never
	inputs  int    // inputs seen
	extra   int    // NPC entities whose fields all change every tick
	done    bool
}

func scriptFactory(rate int, endAt uint32) engineFactory {
	return func(spec contract.RoomSpec) (engine, error) {
		if spec.Arena == "bad" {
			return nil, errors.New("unknown arena bad")
		}
		return &scriptEngine{rate: rate, seats: sortedSeats(spec.Seats), pos: make([][2]int32, len(spec.Seats)), endAt: endAt}, nil
	}
}

func (e *scriptEngine) TickRate() int { return e.rate }

func (e *scriptEngine) Step(in []seatInput, ev []netcode.Event) (uint32, []netcode.Event, bool) {
	e.tick++
	if e.panicAt != 0 && e.tick == e.panicAt {
		panic(fmt.Sprintf("scripted panic at tick %d", e.tick))
	}
	for _, x := range in {
		for i, s := range e.seats {
			if s.Seat == x.Seat {
				e.pos[i][0] += x.MoveX
				e.pos[i][1] += x.MoveY
			}
		}
		e.inputs++
	}
	ev = ev[:0]
	if e.tick%10 == 0 {
		ev = append(ev, netcode.MakeEvent(1, int32(e.tick)))
	}
	e.done = e.endAt != 0 && e.tick >= e.endAt
	return e.tick, ev, e.done
}

func (e *scriptEngine) AppendEntities(dst []netcode.Entity) []netcode.Entity {
	for i, s := range e.seats {
		var ent netcode.Entity
		ent.ID = uint32(s.Seat + 1)
		ent.Fields[netcode.FieldX] = e.pos[i][0]
		ent.Fields[netcode.FieldY] = e.pos[i][1]
		ent.Fields[netcode.FieldTeam] = int32(s.Team)
		dst = append(dst, ent)
	}
	for i := 0; i < e.extra; i++ {
		var ent netcode.Entity
		ent.ID = uint32(1000 + i)
		for f := 0; f < 13; f++ {
			ent.Fields[f] = int32(e.tick)*7919 + int32(i*f)
		}
		dst = append(dst, ent)
	}
	return dst
}

func (e *scriptEngine) SeatEntity(seat int) uint32 { return uint32(seat + 1) }

func (e *scriptEngine) Finish() (contract.MatchRecord, error) {
	rec := contract.MatchRecord{Outcome: contract.OutcomeAborted, WinningTeam: -1, Ticks: int(e.tick)}
	if e.done {
		rec.Outcome, rec.WinningTeam = contract.OutcomeTeamWin, 0
	}
	for _, s := range e.seats {
		res := contract.ResultDraw
		if e.done {
			res = contract.ResultLoss
			if s.Team == 0 {
				res = contract.ResultWin
			}
		}
		rec.Participants = append(rec.Participants, contract.Participant{PlayerID: s.PlayerID, Seat: s.Seat, Team: s.Team, Result: res})
	}
	return rec, nil
}

// TestWireInputInvertsSimInput: what a client sends for a sim input reaches
// the sim as that input, for every cast slot including none and shapeshift.
func TestWireInputInvertsSimInput(t *testing.T) {
	for cast := uint8(ecs.CastNone); cast <= ecs.CastShapeshift; cast++ {
		want := ecs.Input{Seat: 3, Seq: 9, MoveX: -700, MoveY: 1000, Facing: 200, Cast: cast,
			Target: 42, PointX: -12345, PointY: 678, Channel: 1, Gesture: 7}
		w := WireInput(want)
		w.Seq = want.Seq
		if got := simInput(&seatInput{Seat: want.Seat, Input: w}); got != want {
			t.Fatalf("cast %d: wire %+v came back as %+v, want %+v", cast, w, got, want)
		}
	}
}
