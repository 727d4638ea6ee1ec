package ecs

import (
	"fmt"

	"github.com/pantheon-oracles/pantheon/ecs/content"
)

// Match outcomes (Result.Outcome). They equal persistence's Outcome constants.
const (
	OutcomeTeamWin       = "team_win"
	OutcomeDraw          = "draw"
	OutcomeRaidWin       = "raid_win"
	OutcomeWipe          = "wipe"
	OutcomeTimeout       = "timeout"
	OutcomeRitualSuccess = "ritual_success"
	OutcomeRitualFailure = "ritual_failure"
	OutcomeAborted       = "aborted"
)

// Per-seat results (SeatResult.Result). They equal persistence's Result constants.
const (
	ResultWin       = "win"
	ResultLoss      = "loss"
	ResultDraw      = "draw"
	ResultAbandoned = "abandoned" // the match was aborted
)

// Outcome indices, the Code of an EventMatchEnd.
const (
	outcomeTeamWin = iota
	outcomeDraw
	outcomeRaidWin
	outcomeWipe
	outcomeTimeout
	outcomeRitualSuccess
	outcomeRitualFailure
	outcomeAborted
)

// OutcomeByCode maps the Code of an EventMatchEnd to its outcome name.
func OutcomeByCode(code uint8) string { return outcomeName(int(code)) }

// outcomeName maps an outcome index to its name.
func outcomeName(i int) string {
	names := [...]string{OutcomeTeamWin, OutcomeDraw, OutcomeRaidWin, OutcomeWipe,
		OutcomeTimeout, OutcomeRitualSuccess, OutcomeRitualFailure, OutcomeAborted}
	if i >= 0 && i < len(names) {
		return names[i]
	}
	return "unknown"
}

// Result is a finished match. Its fields map one to one onto
// contract.MatchRecord (and SeatResult onto contract.Participant),
// except the ids and times the room server adds.
type Result struct {
	Mode           string
	Arena          string
	ContentVersion string
	Seed           uint64
	Ticks          int
	Outcome        string // one of the Outcome constants
	WinningTeam    int    // -1 when no team won (every non-battle outcome, draws, aborts)
	FinalHash      uint64 // state hash after the last tick
	Seats          []SeatResult
	Rewards        []Reward     // none for an aborted match
	Codex          []CodexEntry // none for an aborted match
	Replay         []byte       // the encoded replay (EncodeReplay format)
}

// SeatResult is one seat's part in a match.
type SeatResult struct {
	Seat        int
	PlayerID    string
	Team        int
	Result      string // ResultWin, ResultLoss, ResultDraw or ResultAbandoned
	Kills       int
	Deaths      int
	DamageDealt int64
	DamageTaken int64
	Healing     int64
	Score       int64 // damage dealt + healing + 250 per kill + ritual progress contributed
}

// Reward is one drop for one seat, drawn from the mode's drop tables with
// the match's RNG: a Currency Amount, or an ItemID.
type Reward struct {
	Seat     int
	PlayerID string
	Currency string
	Amount   int64
	ItemID   string
}

// CodexEntry is a codex entry a seat unlocked during the match.
type CodexEntry struct {
	Seat     int
	PlayerID string
	EntryID  string // content id of the codex entry
	Tick     int
	Detail   string
}

// codexHit is an unlocked codex entry, kept as integers until the result.
type codexHit struct {
	seat   int // index in s.seats
	entry  int // codex index
	tick   uint32
	target uint32
	ref    int32
	trig   trigger
}

// unlock records seat i's codex entry for trigger t, once per seat, if
// content has an entry for it.
func (s *Sim) unlock(i int, t trigger, target uint32, ref int32) {
	entry := s.codexFor[t]
	st := &s.seats[i]
	if entry < 0 || st.codex&(1<<t) != 0 {
		return
	}
	st.codex |= 1 << t
	s.codex = append(s.codex, codexHit{seat: i, entry: entry, tick: s.tick, target: target, ref: ref, trig: t})
	s.event(Event{Kind: EventCodex, Seat: int16(st.seat), Target: target, Ref: int32(entry)})
}

// checkEnd ends the match when its mode's rules say so.
func (s *Sim) checkEnd() {
	outcome, team, ended := 0, -1, false
	switch s.plan.kind {
	case modeBattle:
		outcome, team, ended = s.battleEnd()
	case modeRaid:
		outcome, ended = s.raidEnd()
	case modeRitual:
		outcome, ended = s.ritualEnd()
	}
	if !ended {
		return
	}
	s.done, s.outcome, s.winningTeam = true, outcome, team
	for i := range s.seats {
		if s.seatResult(i) != ResultWin {
			continue
		}
		e := s.slots[s.seats[i].slot].entry
		if v := vitalsC.Get(e); v.hp > 0 && int64(v.hp)*10 <= int64(v.maxHP) {
			s.unlock(i, triggerLastStand, 0, v.hp)
		}
	}
	s.event(Event{Kind: EventMatchEnd, Code: uint8(outcome), Seat: -1, Amount: int32(team), Ref: -1})
}

// seatResult is seat i's result under the match's outcome.
func (s *Sim) seatResult(i int) string {
	switch s.outcome {
	case outcomeAborted:
		return ResultAbandoned
	case outcomeDraw:
		return ResultDraw
	case outcomeTeamWin:
		if int(s.seats[i].team) == s.winningTeam {
			return ResultWin
		}
	case outcomeRaidWin, outcomeRitualSuccess:
		return ResultWin
	}
	return ResultLoss
}

// buildResult assembles the result; it draws the rewards, so it runs once.
func (s *Sim) buildResult() *Result {
	r := &Result{
		Mode:           s.plan.mode.ID,
		Arena:          s.plan.arena,
		ContentVersion: s.c.Version(),
		Seed:           s.plan.seed,
		Ticks:          int(s.tick),
		Outcome:        outcomeName(s.outcome),
		WinningTeam:    s.winningTeam,
		FinalHash:      s.hash,
		Seats:          make([]SeatResult, len(s.seats)),
	}
	for i := range s.seats {
		st := &s.seats[i]
		r.Seats[i] = SeatResult{
			Seat: st.seat, PlayerID: st.playerID, Team: int(st.team), Result: s.seatResult(i),
			Kills: int(st.kills), Deaths: int(st.deaths),
			DamageDealt: st.dealt, DamageTaken: st.taken, Healing: st.healing,
			Score: st.dealt + st.healing + 250*int64(st.kills) + st.ritual/1000,
		}
	}
	if s.outcome != outcomeAborted {
		r.Rewards = s.drawRewards(r.Seats)
		for _, h := range s.codex {
			r.Codex = append(r.Codex, CodexEntry{
				Seat: s.seats[h.seat].seat, PlayerID: s.seats[h.seat].playerID,
				EntryID: s.c.CodexAt(h.entry).ID, Tick: int(h.tick), Detail: s.codexDetail(h),
			})
		}
	}
	r.Replay = s.encodeReplay()
	return r
}

// drawRewards rolls each seat's drop table, in seat order.
func (s *Sim) drawRewards(seats []SeatResult) []Reward {
	var out []Reward
	for _, sr := range seats {
		var t *content.DropTableDef
		switch sr.Result {
		case ResultWin:
			t = &s.drops[0]
		case ResultLoss:
			t = &s.drops[1]
		case ResultDraw:
			t = &s.drops[2]
		}
		if t == nil || t.ID == "" {
			continue
		}
		total := int32(0)
		for _, e := range t.Entries {
			total += e.Weight
		}
		for range t.Rolls {
			roll := s.rng.intn(total)
			for _, e := range t.Entries {
				if roll >= e.Weight {
					roll -= e.Weight
					continue
				}
				rw := Reward{Seat: sr.Seat, PlayerID: sr.PlayerID, Currency: e.Currency, ItemID: e.Item}
				if e.Currency != "" {
					rw.Amount = int64(s.rng.between(e.Min, e.Max))
				}
				out = append(out, rw)
				break
			}
		}
	}
	return out
}

// codexDetail says what earned a codex entry.
func (s *Sim) codexDetail(h codexHit) string {
	c := s.c
	switch h.trig {
	case triggerFirstBlood:
		return fmt.Sprintf("first to defeat an oracle (seat %d)", h.ref)
	case triggerUltimate:
		return "unleashed " + c.AbilityAt(int(h.ref)).Name
	case triggerShapeshift:
		return "took the form of the " + c.FormAt(int(h.ref)).Name
	case triggerBossKill:
		return "dealt the killing blow to " + c.NPCAt(int(h.ref)).Name
	case triggerRitualSuccess:
		return "completed the ritual of the " + s.ritual.def.Name // h.ref is this match's ritual
	case triggerGesture:
		return fmt.Sprintf("answered sigil %d with its gesture", h.ref)
	case triggerLastStand:
		return fmt.Sprintf("won with %d hit points left", h.ref)
	}
	return ""
}
