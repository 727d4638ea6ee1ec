package ecs_test

import (
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/bot"
	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/internal/txtscript"
)

// Scenario scripts: testdata/scenarios/*.txt, in the style of etcd raft's
// interaction tests. Each case is a command line, optional input lines, a
// "----" line and the expected output, ended by a blank line. Lines starting
// with # between cases are comments. Run with -rewrite to regenerate the
// expected output from what the sim does now (then read the diff!).
//
// Commands:
//
//	new mode=M [arena=A] seed=N        then one line per seat:
//	    seat N PLAYER team=T ARCHETYPE ROLE [loadout=a,b] [pet=P] [form=F] [totem=T]
//	input SEAT [seq=N] [move=X,Y] [face=N] [cast=N|form] [target=LABEL|ID]
//	      [point=X,Y] [channel=on|off|N] [gesture=N]   queued for the next step;
//	      further "input ..." lines queue more
//	step [N] [hide=kind,kind|all]      step N ticks (default 1), print events
//	run [max=N] [sloppy=N] [show=kind,kind]   bots play to the end (or N ticks)
//	view [kinds=k,k]                   print entity views
//	result                             print the match result
//	hurt LABEL AMOUNT                  setup: damage from no one
//	teleport LABEL X,Y|LABEL           setup: move an entity (cm, or onto another)
//	endat TICK                         setup: move the time limit
//	enrageat TICK                      setup: move a raid's enrage timer
//	abort                              abort the match and print the result
//	replay                             re-verify the match's own replay
//
// Labels name entities: seat0 (an oracle), pet0, totem0, boss, sigil2,
// add#ID, hazard#ID.
var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of testdata/scenarios/*.txt")

func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/scenarios/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenario scripts: %v", err)
	}
	c, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			runScenarioFile(t, c, f)
		})
	}
}

func runScenarioFile(t *testing.T, c *content.Bundle, path string) {
	s := &scenario{t: t, c: c}
	txtscript.Run(t, path, *rewrite, s.run)
}

// scenario is the state of one script.
type scenario struct {
	t       *testing.T
	c       *content.Bundle
	sim     *ecs.Sim
	cfg     ecs.Config
	seq     [ecs.MaxSeats]uint32
	queued  []ecs.Input
	res     *ecs.Result
	touched bool // setup commands were used: the replay no longer matches
}

// args splits "k=v" words into a map and the bare words into a list.
func args(words []string) (map[string]string, []string) {
	kv := map[string]string{}
	var bare []string
	for _, w := range words {
		if k, v, ok := strings.Cut(w, "="); ok {
			kv[k] = v
		} else {
			bare = append(bare, w)
		}
	}
	return kv, bare
}

func (s *scenario) run(k txtscript.Case) (out []string) {
	defer func() {
		if r := recover(); r != nil {
			out = []string{fmt.Sprintf("error: %v", r)}
		}
	}()
	words := strings.Fields(k.Cmd)
	kv, bare := args(words[1:])
	if words[0] != "new" && s.sim == nil {
		return []string{"error: no match; use new first"}
	}
	switch words[0] {
	case "new":
		return s.newMatch(kv, k.Input)
	case "input":
		out := s.input(kv, bare)
		for _, l := range k.Input { // further inputs, one per line: "input SEAT ..."
			w := strings.Fields(l)
			lkv, lbare := args(w[1:])
			out = append(out, s.input(lkv, lbare)...)
		}
		return out
	case "step":
		n := 1
		if len(bare) > 0 {
			n = s.atoi(bare[0])
		}
		return s.step(n, kv["hide"])
	case "run":
		return s.runBots(kv)
	case "view":
		return s.view(kv["kinds"])
	case "result":
		return s.result(s.res)
	case "hurt":
		s.touched = true
		var out []string
		for _, e := range s.sim.Hurt(s.resolve(bare[0]), int32(s.atoi(bare[1]))) {
			out = append(out, s.event(e))
		}
		return append(out, "ok")
	case "teleport":
		s.touched = true
		var x, y int32
		if strings.Contains(bare[1], ",") {
			x, y = s.pair(bare[1])
		} else {
			x, y = s.position(bare[1])
		}
		s.sim.Teleport(s.resolve(bare[0]), x, y)
		return []string{"ok"}
	case "endat":
		s.touched = true
		s.sim.EndAt(s.atoi(bare[0]))
		return []string{"ok"}
	case "enrageat":
		s.touched = true
		s.sim.EnrageAt(s.atoi(bare[0]))
		return []string{"ok"}
	case "abort":
		s.res = s.sim.Abort()
		return s.result(s.res)
	case "replay":
		return s.replay()
	}
	return []string{"error: unknown command " + words[0]}
}

func (s *scenario) atoi(v string) int {
	n, err := strconv.Atoi(v)
	if err != nil {
		panic(fmt.Sprintf("bad number %q", v))
	}
	return n
}

func (s *scenario) pair(v string) (int32, int32) {
	a, b, ok := strings.Cut(v, ",")
	if !ok {
		panic(fmt.Sprintf("want X,Y, got %q", v))
	}
	return int32(s.atoi(a)), int32(s.atoi(b))
}

func (s *scenario) newMatch(kv map[string]string, lines []string) []string {
	seed, _ := strconv.ParseUint(kv["seed"], 10, 64)
	s.cfg = ecs.Config{Mode: kv["mode"], Arena: kv["arena"], Seed: seed}
	for _, l := range lines {
		w := strings.Fields(l)
		skv, bare := args(w[1:])
		if w[0] != "seat" || len(bare) < 4 {
			return []string{"error: want: seat N PLAYER team=T ARCHETYPE ROLE ..."}
		}
		st := ecs.Seat{Seat: s.atoi(bare[0]), PlayerID: bare[1], Team: s.atoi(skv["team"]),
			Oracle: ecs.OracleSpec{Archetype: bare[2], Role: bare[3], Pet: skv["pet"], Form: skv["form"], Totem: skv["totem"]}}
		if skv["loadout"] != "" {
			st.Oracle.Loadout = strings.Split(skv["loadout"], ",")
		}
		s.cfg.Seats = append(s.cfg.Seats, st)
	}
	sim, err := ecs.New(s.c, s.cfg)
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	s.sim, s.seq, s.queued, s.touched, s.res = sim, [ecs.MaxSeats]uint32{}, nil, false, nil
	out := []string{fmt.Sprintf("%s in %s at %d Hz: %d seats, limit %d ticks", sim.Mode(), sim.Arena(), sim.TickRate(), len(s.cfg.Seats), sim.MaxTicks())}
	out = append(out, s.view("oracle,pet,totem,boss,sigil")...)
	adds := 0
	for _, v := range sim.AppendView(nil) {
		if ecs.Kind(v.F[ecs.ViewKind]) == ecs.KindAdd {
			adds++
		}
	}
	if adds > 0 {
		out = append(out, fmt.Sprintf("and %d adds", adds))
	}
	return out
}

// resolve turns a label or number into an entity id.
func (s *scenario) resolve(label string) uint32 {
	if n, err := strconv.ParseUint(label, 10, 32); err == nil {
		return uint32(n)
	}
	for _, v := range s.sim.AppendView(nil) {
		if s.sim.Describe(v.ID) == label {
			return v.ID
		}
	}
	panic("no entity " + label)
}

// position returns an entity's position in cm.
func (s *scenario) position(label string) (int32, int32) {
	id := s.resolve(label)
	for _, v := range s.sim.AppendView(nil) {
		if v.ID == id {
			return v.F[ecs.ViewX], v.F[ecs.ViewY]
		}
	}
	panic("no entity " + label)
}

func (s *scenario) input(kv map[string]string, bare []string) []string {
	seat := s.atoi(bare[0])
	in := ecs.Input{Seat: seat}
	if seat >= 0 && seat < ecs.MaxSeats {
		s.seq[seat]++
		in.Seq = s.seq[seat]
	}
	for k, v := range kv {
		switch k {
		case "seq":
			in.Seq = uint32(s.atoi(v))
		case "move":
			in.MoveX, in.MoveY = s.pair(v)
		case "face":
			in.Facing = int32(s.atoi(v))
		case "cast":
			if v == "form" {
				in.Cast = ecs.CastShapeshift
			} else {
				in.Cast = uint8(s.atoi(v))
			}
		case "target":
			in.Target = s.resolve(v)
		case "point":
			in.PointX, in.PointY = s.pair(v)
		case "channel":
			switch v {
			case "on":
				in.Channel = 1
			case "off":
				in.Channel = 0
			default:
				in.Channel = uint8(s.atoi(v))
			}
		case "gesture":
			in.Gesture = uint8(s.atoi(v))
		default:
			panic("unknown input field " + k)
		}
	}
	s.queued = append(s.queued, in)
	return []string{fmt.Sprintf("queued seat %d seq %d", seat, in.Seq)}
}

// step runs n ticks, the queued inputs going into the first.
func (s *scenario) step(n int, hide string) []string {
	hidden := map[string]int{}
	var out []string
	for i := 0; i < n && !s.sim.Done(); i++ {
		inputs := s.queued
		s.queued = nil
		slices.SortStableFunc(inputs, func(a, b ecs.Input) int {
			if a.Seat != b.Seat {
				return a.Seat - b.Seat
			}
			return int(a.Seq) - int(b.Seq)
		})
		o := s.sim.Step(inputs)
		if o.Result != nil {
			s.res = o.Result
		}
		for _, e := range o.Events {
			if hide == "all" || slices.Contains(strings.Split(hide, ","), e.Kind.String()) {
				hidden[e.Kind.String()]++
				continue
			}
			out = append(out, s.event(e))
		}
	}
	out = append(out, hiddenSummary(hidden)...)
	if len(out) == 0 {
		out = []string{"(no events)"}
	}
	return out
}

func hiddenSummary(hidden map[string]int) []string {
	if len(hidden) == 0 {
		return nil
	}
	var parts []string
	for k := ecs.EventKind(1); k.String() != fmt.Sprintf("event(%d)", uint8(k)); k++ {
		if n := hidden[k.String()]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, n))
		}
	}
	return []string{"(hidden: " + strings.Join(parts, ", ") + ")"}
}

// runBots lets a bot play every seat until the match ends or max ticks.
func (s *scenario) runBots(kv map[string]string) []string {
	max := s.sim.MaxTicks()
	if kv["max"] != "" {
		max = s.sim.Tick() + s.atoi(kv["max"])
	}
	sloppy := 0
	if kv["sloppy"] != "" {
		sloppy = s.atoi(kv["sloppy"])
	}
	var bots []*bot.Bot
	var selves, offsets []uint32
	for _, st := range s.sortedSeats() {
		b, err := bot.New(s.c, s.cfg.Mode, s.sim.Arena(), st, s.cfg.Seed, sloppy)
		if err != nil {
			return []string{"error: " + err.Error()}
		}
		id, _ := s.sim.SeatEntity(st.Seat)
		bots, selves = append(bots, b), append(selves, id)
		offsets = append(offsets, s.seq[st.Seat])
		s.seq[st.Seat] += 1 << 20 // scripted inputs after the run count on from here
	}
	hidden := map[string]int{}
	var out []string
	show := strings.Split(kv["show"], ",")
	views := s.sim.AppendView(nil)
	start := s.sim.Tick()
	for s.sim.Tick() < max && !s.sim.Done() {
		var inputs []ecs.Input
		for i, b := range bots {
			if in, ok := b.Act(s.sim.Tick()+1, selves[i], views); ok {
				in.Seq += offsets[i] // bots count from 1; go on past any scripted seq
				inputs = append(inputs, in)
			}
		}
		o := s.sim.Step(inputs)
		if o.Result != nil {
			s.res = o.Result
		}
		views = s.sim.AppendView(views[:0])
		for _, e := range o.Events {
			if slices.Contains(show, e.Kind.String()) {
				out = append(out, s.event(e))
			} else {
				hidden[e.Kind.String()]++
			}
		}
	}
	out = append(out, fmt.Sprintf("ran %d ticks", s.sim.Tick()-start))
	return append(out, hiddenSummary(hidden)...)
}

func (s *scenario) sortedSeats() []ecs.Seat {
	seats := slices.Clone(s.cfg.Seats)
	slices.SortFunc(seats, func(a, b ecs.Seat) int { return a.Seat - b.Seat })
	return seats
}

// contentName names an entity's content index.
func (s *scenario) contentName(kind ecs.Kind, i int32) string {
	switch kind {
	case ecs.KindOracle:
		return s.c.Archetypes()[i].ID
	case ecs.KindPet:
		return s.c.Pets()[i].ID
	case ecs.KindAdd, ecs.KindBoss:
		return s.c.NPCs()[i].ID
	case ecs.KindTotem:
		return s.c.Totems()[i].ID
	case ecs.KindHazard:
		return s.c.Hazards()[i].ID
	default:
		// sigils and unknown kinds are named by index below.
	}
	return strconv.Itoa(int(i))
}

func (s *scenario) view(kinds string) []string {
	var out []string
	for _, v := range s.sim.AppendView(nil) {
		kind := ecs.Kind(v.F[ecs.ViewKind])
		if kinds != "" && !slices.Contains(strings.Split(kinds, ","), kind.String()) {
			continue
		}
		line := fmt.Sprintf("%s %s %s team=%d pos=(%d,%d) face=%d", s.sim.Describe(v.ID), kind,
			s.contentName(kind, v.F[ecs.ViewContent]), v.F[ecs.ViewTeam], v.F[ecs.ViewX], v.F[ecs.ViewY], v.F[ecs.ViewFacing])
		if v.F[ecs.ViewMaxHP] > 0 {
			line += fmt.Sprintf(" hp=%d/%d", v.F[ecs.ViewHP], v.F[ecs.ViewMaxHP])
		}
		if kind == ecs.KindOracle {
			line += fmt.Sprintf(" energy=%d", v.F[ecs.ViewEnergy])
		}
		if st := statusNames(v.F[ecs.ViewStatus]); st != "" {
			line += " status=" + st
		}
		if f := v.F[ecs.ViewForm]; f > 0 {
			line += " form=" + s.c.Forms()[f-1].ID
		}
		if kind == ecs.KindSigil || kind == ecs.KindBoss || kind == ecs.KindHazard {
			line += fmt.Sprintf(" progress=%d", v.F[ecs.ViewProgress])
		}
		out = append(out, line)
	}
	return out
}

func statusNames(bits int32) string {
	var names []string
	for i, n := range []string{"shield", "burn", "stun", "ward", "channeling", "enraged"} {
		if bits&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return strings.Join(names, ",")
}

// event renders one event with labels and content ids.
func (s *scenario) event(e ecs.Event) string {
	d := s.sim.Describe
	abilities := s.c.Abilities()
	ability := func(i int32) string {
		if i < 0 || int(i) >= len(abilities) {
			return "-"
		}
		return abilities[i].ID
	}
	p := fmt.Sprintf("t%d ", e.Tick)
	switch e.Kind {
	case ecs.EventDamage, ecs.EventHeal:
		cause := ecs.Cause(e.Code).String()
		switch ecs.Cause(e.Code) {
		case ecs.CauseAbility:
			cause += " " + ability(e.Ref)
		case ecs.CauseHazard:
			cause += " " + s.c.Hazards()[e.Ref].ID
		default:
			// the other causes need no detail.
		}
		return p + fmt.Sprintf("%s %s -> %s %d (%s)", e.Kind, d(e.Source), d(e.Target), e.Amount, cause)
	case ecs.EventDeath:
		return p + fmt.Sprintf("death %s by %s", d(e.Target), d(e.Source))
	case ecs.EventStatusApplied:
		return p + fmt.Sprintf("status+ %s on %s for %d ticks by %s", ecs.Status(e.Code), d(e.Target), e.Amount, d(e.Source))
	case ecs.EventStatusExpired:
		return p + fmt.Sprintf("status- %s on %s", ecs.Status(e.Code), d(e.Target))
	case ecs.EventCast:
		return p + fmt.Sprintf("cast seat %d %s -> %s (%d energy)", e.Seat, ability(e.Ref), d(e.Target), e.Amount)
	case ecs.EventCastRejected:
		return p + fmt.Sprintf("cast rejected seat %d slot %d: %s", e.Seat, e.Ref, ecs.Reason(e.Code))
	case ecs.EventInputClamped, ecs.EventInputRejected:
		return p + fmt.Sprintf("%s seat %d seq %d: %s", e.Kind, e.Seat, e.Amount, ecs.Reason(e.Code))
	case ecs.EventShapeshift:
		state := "off"
		if e.Amount == 1 {
			state = "on"
		}
		return p + fmt.Sprintf("shapeshift %s %s %s", d(e.Source), s.c.Forms()[e.Ref].ID, state)
	case ecs.EventSpawn:
		return p + fmt.Sprintf("spawn %s %s", s.c.NPCs()[e.Ref].ID, d(e.Target))
	case ecs.EventPhase:
		return p + fmt.Sprintf("phase %s %d", d(e.Source), e.Amount)
	case ecs.EventEnrage:
		return p + fmt.Sprintf("enrage %s (%s)", d(e.Source), map[uint8]string{1: "timer", 2: "phase"}[e.Code])
	case ecs.EventHazard:
		stage := map[uint8]string{ecs.HazardWarn: "warn", ecs.HazardStrike: "strike", ecs.HazardEnd: "end"}[e.Code]
		return p + fmt.Sprintf("hazard %s %s %s hits=%d", s.c.Hazards()[e.Ref].ID, d(e.Target), stage, e.Amount)
	case ecs.EventRitualProgress:
		by := "channel"
		if e.Code == 1 {
			by = fmt.Sprintf("gesture seat %d", e.Seat)
		}
		return p + fmt.Sprintf("ritual %s %d/1000 (%s)", d(e.Target), e.Amount, by)
	case ecs.EventSigilComplete:
		return p + fmt.Sprintf("sigil complete %s (step %d)", d(e.Target), e.Amount)
	case ecs.EventSurge:
		if e.Code == ecs.SurgeWarn {
			return p + "surge warn"
		}
		return p + fmt.Sprintf("surge strike interrupted=%d", e.Amount)
	case ecs.EventInterrupted:
		return p + fmt.Sprintf("interrupted %s", d(e.Target))
	case ecs.EventCodex:
		return p + fmt.Sprintf("codex seat %d %s", e.Seat, s.c.Codex()[e.Ref].ID)
	case ecs.EventMatchEnd:
		return p + fmt.Sprintf("match end %s team %d", ecs.OutcomeByCode(e.Code), e.Amount)
	}
	return p + ecs.FormatEvent(s.c, e)
}

func (s *scenario) result(r *ecs.Result) []string {
	if r == nil {
		return []string{"match not over"}
	}
	out := []string{fmt.Sprintf("%s %s %s: %s team %d after %d ticks", r.Mode, r.Arena, r.ContentVersion[:3], r.Outcome, r.WinningTeam, r.Ticks)}
	for _, st := range r.Seats {
		out = append(out, fmt.Sprintf("seat %d %s team %d %s: kills %d deaths %d dealt %d taken %d healing %d score %d",
			st.Seat, st.PlayerID, st.Team, st.Result, st.Kills, st.Deaths, st.DamageDealt, st.DamageTaken, st.Healing, st.Score))
	}
	for _, rw := range r.Rewards {
		if rw.ItemID != "" {
			out = append(out, fmt.Sprintf("reward seat %d item %s", rw.Seat, rw.ItemID))
		} else {
			out = append(out, fmt.Sprintf("reward seat %d %s %d", rw.Seat, rw.Currency, rw.Amount))
		}
	}
	for _, cx := range r.Codex {
		out = append(out, fmt.Sprintf("codex seat %d %s t%d: %s", cx.Seat, cx.EntryID, cx.Tick, cx.Detail))
	}
	return out
}

func (s *scenario) replay() []string {
	if s.touched {
		return []string{"replay: skipped (setup commands change state outside inputs)"}
	}
	rp := s.sim.Replay()
	div, err := ecs.VerifyReplay(s.c, rp)
	switch {
	case err != nil:
		return []string{"replay: error: " + err.Error()}
	case div != nil:
		return []string{"replay: " + div.String()}
	}
	return []string{fmt.Sprintf("replay: %d ticks re-simulated, every hash matches", len(rp.Ticks))}
}
