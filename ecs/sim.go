package ecs

import (
	"math"

	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/ecs/internal/worldgate"
	"github.com/yohamta/donburi"
)

// Sim is one match's deterministic simulation. It is a value, not a
// process: it never reads a clock, sleeps, logs, does I/O or starts
// goroutines; the caller drives it one tick at a time with Step and gets
// everything that happened back as data.
//
// A Sim is not safe for concurrent use: one goroutine (the room's) owns it.
// Distinct Sims are independent and may run on different goroutines, even
// when they share one *content.Bundle.
type Sim struct {
	inBuf    []Input // Step's copy of inputs with out-of-range seats, when it needs one
	c        *content.Bundle
	plan     matchPlan
	hz       int32
	maxTicks uint32
	width    int32 // arena size, mm
	height   int32

	world  donburi.World
	q      queries
	slots  []slot
	free   [layoutCount][]int32 // pooled slots waiting for reuse, per layout
	pooled [layoutCount]int32   // entities ever created, per layout

	rng     rng
	tick    uint32
	seats   []seatState
	seatIdx [MaxSeats]int8 // seat number -> index in seats, -1 none

	grids   [2]grid // per team: everything alive and mortal on that team
	scratch []int32 // slots found by area queries; reused, never nested
	events  []Event

	burnEvery     int32 // ticks between burn pulses
	wardHazardPct int32 // hazard damage reduction under ward, percent

	battle battleState
	raid   raidState
	ritual ritualState

	firstBlood bool
	codexFor   [triggerCount]int       // codex entry of each trigger, -1 none
	drops      [3]content.DropTableDef // the mode's win, loss and draw tables; ID "" none
	codex      []codexHit

	done        bool
	outcome     int
	winningTeam int
	result      *Result
	rec         recorder
	hash        uint64
}

// seatState is one seat's intent, bookkeeping and statistics.
type seatState struct {
	seat     int
	team     int8
	playerID string
	slot     int32 // the oracle's slot
	pet      int32 // the pet's slot, -1 none

	seen    bool   // an input was accepted
	lastSeq uint32 // sequence number of the last accepted input
	inputs  int32  // inputs taken this tick
	moveX   int32  // movement intent, permille of full speed
	moveY   int32
	facing  uint8
	channel bool

	codex   uint16 // triggers unlocked (bit per trigger)
	kills   int32
	deaths  int32
	dealt   int64
	taken   int64
	healing int64
	ritual  int64 // ritual progress contributed
}

// Output is what one Step did. Events is reused by the next Step: copy what
// you keep. Result is non-nil only on the tick the match ends.
type Output struct {
	Tick   int     // the tick just simulated, from 1
	Events []Event // in the order they happened; valid until the next Step
	Hash   uint64  // state hash after this tick (covers this tick's inputs too)
	Done   bool    // the match has ended
	Result *Result // set once, on the final tick
}

// New builds a match from content and a config. The config is validated
// first; errors wrap ErrInvalidConfig (or ErrInvalidOracle) and name the
// bad field. New allocates everything a match of that size needs up front,
// except the replay record, which starts with a 2 KiB chunk and grows by
// 16 KiB chunks as the match records (see Step).
func New(c *content.Bundle, cfg Config) (*Sim, error) {
	p, err := plan(c, cfg)
	if err != nil {
		return nil, err
	}
	s := &Sim{
		c:           c,
		plan:        p,
		hz:          p.mode.TickHz,
		maxTicks:    uint32(int64(p.mode.DurationMs) * int64(p.mode.TickHz) / 1000),
		world:       worldgate.NewWorld(),
		q:           newQueries(),
		rng:         newRNG(cfg.Seed),
		outcome:     -1,
		winningTeam: -1,
	}
	burn, _ := c.Status(StatusBurn.String()) // every Bundle has the four statuses
	ward, _ := c.Status(StatusWard.String())
	s.burnEvery = max(1, msToTicks(burn.TickMs, s.hz))
	s.wardHazardPct = ward.HazardReductionPct
	for i, id := range []string{p.mode.Drops.Win, p.mode.Drops.Loss, p.mode.Drops.Draw} {
		s.drops[i], _ = c.DropTable(id) // the zero table for "": content validated the ids
	}
	for t := range s.codexFor {
		s.codexFor[t] = -1
		if i, ok := c.CodexFor(trigger(t).String()); ok {
			s.codexFor[t] = i
		}
	}
	for i := range s.seatIdx {
		s.seatIdx[i] = -1
	}
	s.seats = make([]seatState, len(p.seats))
	for i, st := range p.seats {
		s.seats[i] = seatState{seat: st.Seat, team: int8(st.Team), playerID: st.PlayerID, pet: -1}
		s.seatIdx[st.Seat] = int8(i)
	}
	s.events = make([]Event, 0, 1024)
	s.codex = make([]codexHit, 0, len(p.seats)*int(triggerCount))
	s.scratch = make([]int32, 0, 256)
	s.slots = make([]slot, 0, 64)
	s.rec = newRecorder()

	switch p.kind {
	case modeBattle:
		s.setupBattle()
	case modeRaid:
		s.setupRaid()
	case modeRitual:
		s.setupRitual()
	}
	s.reservePools()
	cell := int32(400 * mmPerCm)
	for t := range s.grids {
		s.grids[t].init(s.width, s.height, cell)
	}
	s.events = s.events[:0] // setup events (spawns) are not part of tick 1
	s.hash = s.computeHash(0)
	return s, nil
}

// TickRate is the mode's fixed tick rate in Hz (20..60, from content).
func (s *Sim) TickRate() int { return int(s.hz) }

// Tick is the number of ticks simulated so far.
func (s *Sim) Tick() int { return int(s.tick) }

// MaxTicks is the mode's time limit in ticks; the match ends by then.
func (s *Sim) MaxTicks() int { return int(s.maxTicks) }

// Done reports whether the match has ended (by its rules or Abort).
func (s *Sim) Done() bool { return s.done }

// Hash is the state hash after the last tick (before the first, of the
// initial state).
func (s *Sim) Hash() uint64 { return s.hash }

// Mode is the match's mode id.
func (s *Sim) Mode() string { return s.plan.mode.ID }

// Arena is the match's arena id (the mode's default when the config left
// it empty).
func (s *Sim) Arena() string { return s.plan.arena }

// SeatEntity returns the entity id of seat's oracle (for a client's
// welcome message); ok is false for an unknown seat.
func (s *Sim) SeatEntity(seat int) (id uint32, ok bool) {
	if seat < 0 || seat >= MaxSeats || s.seatIdx[seat] < 0 {
		return 0, false
	}
	return tagC.Get(s.slots[s.seats[s.seatIdx[seat]].slot].entry).id, true
}

// Step simulates one tick with that tick's inputs, sorted by (seat, seq)
// (the sim applies them in the order given and rejects any input whose Seq
// is not above its seat's last accepted one). Impossible inputs are clamped
// or rejected and reported as events, never trusted. Once the match is
// done, Step changes nothing and returns Done with no events.
//
// In steady state Step allocates nothing but the replay record's chunks:
// one 16 KiB chunk per 16 KiB of inputs and hashes recorded (amortised,
// a few bytes per tick), never copying what is already recorded. The final
// tick also builds the Result.
func (s *Sim) Step(inputs []Input) Output {
	if s.done {
		return Output{Tick: int(s.tick), Hash: s.hash, Done: true}
	}
	s.tick++
	s.events = s.events[:0]
	if len(inputs) > MaxInputsPerTick {
		s.event(Event{Kind: EventInputRejected, Code: uint8(ReasonFlood), Seat: -1, Amount: int32(len(inputs) - MaxInputsPerTick), Ref: -1})
		inputs = inputs[:MaxInputsPerTick]
	}
	inputs = s.seatsInRange(inputs)
	s.rec.beginTick(inputs)

	s.buildGrids()
	s.applyAuras()
	digest := s.applyInputs(inputs)
	s.moveOracles()
	s.runBrains()
	switch s.plan.kind {
	case modeBattle:
		s.battleTick()
	case modeRaid:
		s.raidTick()
	case modeRitual:
		s.ritualTick()
	}
	s.tickZones()
	s.tickEffects()
	s.checkEnd()

	s.hash = s.computeHash(digest)
	s.rec.endTick(s.hash)
	out := Output{Tick: int(s.tick), Events: s.events, Hash: s.hash, Done: s.done}
	if s.done {
		s.result = s.buildResult()
		out.Result = s.result
	}
	return out
}

// seatsInRange returns inputs with every seat outside the int32 range
// replaced by -1. No match has such a seat (both are rejected alike, as an
// unknown seat), but a replay holds only int32 seats: the replay records,
// and the tick's hash covers, the same input the simulation applied. It
// copies (into the sim's buffer) only when an input needs it.
func (s *Sim) seatsInRange(inputs []Input) []Input {
	for i := range inputs {
		if inputs[i].Seat >= math.MinInt32 && inputs[i].Seat <= math.MaxInt32 {
			continue
		}
		s.inBuf = append(s.inBuf[:0], inputs...)
		for j := i; j < len(s.inBuf); j++ {
			if s.inBuf[j].Seat < math.MinInt32 || s.inBuf[j].Seat > math.MaxInt32 {
				s.inBuf[j].Seat = -1
			}
		}
		return s.inBuf
	}
	return inputs
}

// Abort ends the match early (room closed or crashed) and returns an
// "aborted" result: every seat "abandoned", no rewards, no codex entries,
// the replay so far. If the match already ended, it returns that result.
func (s *Sim) Abort() *Result {
	if s.done {
		return s.result
	}
	s.done = true
	s.outcome = outcomeAborted
	s.winningTeam = -1
	s.result = s.buildResult()
	return s.result
}

// Replay returns the record of the match so far: content version, mode,
// arena, seed, seats, and each tick's inputs and hash.
func (s *Sim) Replay() *Replay {
	r, err := DecodeReplay(s.encodeReplay())
	if err != nil {
		panic("ecs: own replay does not decode: " + err.Error())
	}
	return r
}

// standing counts the living oracles on team (-1 for every team).
func (s *Sim) standing(team int8) int {
	n := 0
	for i := range s.seats {
		if (team < 0 || s.seats[i].team == team) && alive(s.slots[s.seats[i].slot].entry) {
			n++
		}
	}
	return n
}
