package server

import (
	"flag"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/internal/txtscript"
	"github.com/pantheon-oracles/pantheon/netcode"
)

// Room behaviour scripts: testdata/rooms/*.txt, in the format of ecs's
// scenario scripts. Each case is a command line, a "----" line and the
// transcript of what the command made the room do, ended by a blank line;
// lines starting with # between cases are comments. One room is built
// from a test environment (no Server, no sockets) and stepped at a
// synthetic clock; every seat's connection is an in-memory transport whose
// writer the script runs in step with the room, so the transcript is the
// same on every machine. Run with -rewrite to regenerate the transcripts
// from what the room does now (then read the diff!).
//
// Commands:
//
//	room mode=M [seats=N] [endat=T [rate=R]] [grace=D] [slow=N] [wait=D]
//	    the room: the sim on mode M with N seats (default 2, teams
//	    alternating), or, with endat, a scripted engine at R Hz (default
//	    30) that ends at tick T with team 0 winning; grace, slow consumer
//	    ticks and wait deadline as Config says
//	join S           a client with a join ticket for seat S connects
//	resume S [token=stale]   a client resumes seat S with the resume
//	                 token (and snapshot ack) of the seat's last welcome
//	drop S           seat S's client goes away (its reader sees the close)
//	input S move X Y seat S's client sends a movement input
//	ack S            seat S's client acknowledges the newest snapshot it got
//	tick [N]         the clock moves N periods (default 1), one pass each
//	wait D           the clock moves by duration D, in one pass
//	stall S N        N ticks in which seat S's writer takes nothing
//	state            the room's state, players, released seats
//	records          the records the room handed on
//
// After each command the transcript says, for every connection that
// received anything, what: its welcome, snapshots (count, first and last
// tick, the first and last one's baseline, the last one's input ack),
// events (tick:kind),
// error frames (code, message) and bye.
var rewrite = flag.Bool("rewrite", false, "rewrite the transcripts of testdata/rooms/*.txt")

// TestRoomScripts runs every room script and compares its transcript byte
// for byte.
func TestRoomScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/rooms/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no room scripts: %v", err)
	}
	bundle, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			runRoomScript(t, bundle, f)
		})
	}
}

func runRoomScript(t *testing.T, content *content.Bundle, path string) {
	s := &roomScript{t: t, content: content}
	defer s.close()
	txtscript.Run(t, path, *rewrite, s.run)
}

// roomScript is the state of one script: the room, its shard and
// environment, and every client connection made so far.
type roomScript struct {
	t       *testing.T
	content *content.Bundle
	env     *testEnv
	sh      *shard
	r       *room
	clients []*scriptClient
	seat    map[int]*scriptClient // each seat's newest client
	seq     map[int]uint32        // each seat's input sequence
	stalled map[*scriptClient]bool
	records int // records already printed
}

// scriptClient is one client connection: the server's conn over a
// recording transport, and the writer's state, which the script runs.
type scriptClient struct {
	name  string // "seat 0", "seat 0 #2" for its second connection
	seat  int
	c     *conn
	w     *scriptWire
	batch [][]byte
	done  bool // the writer has exited (final frame written)
}

// scriptWire is an in-memory transport that records what the server
// writes to it. Reads block until it is closed (the script plays the
// reader's part).
type scriptWire struct {
	closed    chan struct{}
	closeOnce atomic.Bool
	frames    [][]byte // written frames not yet reported; the test goroutine's
	welcome   netcode.Welcome
	lastSnap  uint32
}

func newScriptWire() *scriptWire { return &scriptWire{closed: make(chan struct{})} }

func (w *scriptWire) ReadFrame() ([]byte, error) {
	<-w.closed
	return nil, net.ErrClosed
}

// WriteFrame records p. The script's writer is the only caller; the
// frames are kept even after Close (the close-grace timer is wall time,
// and the script's writer has always finished by then).
func (w *scriptWire) WriteFrame(p []byte) error {
	w.frames = append(w.frames, append([]byte(nil), p...))
	return nil
}

func (w *scriptWire) Close() error {
	if w.closeOnce.CompareAndSwap(false, true) {
		close(w.closed)
	}
	return nil
}

func (w *scriptWire) RemoteAddr() net.Addr { return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)} }
func (w *scriptWire) Transport() string    { return "mem" }

func (s *roomScript) fatalf(k txtscript.Case, format string, args ...any) {
	s.t.Helper()
	s.t.Fatalf("line %d: %s: %s", k.Line, k.Cmd, fmt.Sprintf(format, args...))
}

func (s *roomScript) run(k txtscript.Case) []string {
	if len(k.Input) > 0 {
		s.fatalf(k, "room script commands take no input lines")
	}
	f := strings.Fields(k.Cmd)
	if s.r == nil && f[0] != "room" {
		s.fatalf(k, "the first command must be room")
	}
	var out []string
	switch f[0] {
	case "room":
		out = s.newRoom(k, f[1:])
	case "join", "resume":
		st := s.seatArg(k, f, 1)
		token := ""
		var ack uint32
		if f[0] == "resume" {
			prev := s.welcomed(st)
			if prev == nil {
				s.fatalf(k, "seat %d was never welcomed", st)
			}
			token, ack = prev.w.welcome.ResumeToken, prev.w.lastSnap
			if len(f) > 2 && f[2] == "token=stale" {
				token = "stale-" + token
			}
		}
		s.connect(k, st, f[0] == "resume", token, ack)
		s.pass()
	case "drop":
		cl := s.seat[s.seatArg(k, f, 1)]
		if cl == nil {
			s.fatalf(k, "seat never joined")
		}
		cl.w.Close()
		cl.c.closeWith(nil) // what the reader does when its read fails
		s.pass()
	case "input":
		st := s.seatArg(k, f, 1)
		cl := s.seat[st]
		if cl == nil || len(f) != 5 || f[2] != "move" {
			s.fatalf(k, "want input SEAT move X Y for a seat that joined")
		}
		x, ex := strconv.Atoi(f[3])
		y, ey := strconv.Atoi(f[4])
		if ex != nil || ey != nil {
			s.fatalf(k, "bad move")
		}
		s.seq[st]++
		in := netcode.Input{Seq: s.seq[st], MoveX: int32(x), MoveY: int32(y)}
		if !cl.c.push(in) {
			out = append(out, fmt.Sprintf("%s: inbox full, input %d dropped", cl.name, in.Seq))
		} else {
			out = append(out, fmt.Sprintf("%s: input %d queued", cl.name, in.Seq))
		}
	case "ack":
		cl := s.seat[s.seatArg(k, f, 1)]
		if cl == nil {
			s.fatalf(k, "seat never joined")
		}
		cl.c.storeAck(cl.w.lastSnap) // what the reader does with an ack frame
		out = append(out, fmt.Sprintf("%s: acked t%d", cl.name, cl.w.lastSnap))
	case "wait":
		if len(f) != 2 {
			s.fatalf(k, "want wait DURATION")
		}
		d, err := time.ParseDuration(f[1])
		if err != nil || d < 0 {
			s.fatalf(k, "bad duration %q", f[1])
		}
		s.env.now = s.env.now.Add(d)
		s.pass()
	case "tick":
		n := 1
		if len(f) > 1 {
			n = s.intArg(k, f[1])
		}
		s.ticks(n)
	case "stall":
		cl := s.seat[s.seatArg(k, f, 1)]
		if cl == nil || len(f) != 3 {
			s.fatalf(k, "want stall SEAT TICKS for a seat that joined")
		}
		s.stalled[cl] = true
		s.ticks(s.intArg(k, f[2]))
		delete(s.stalled, cl)
		s.writeAll()
	case "state":
		out = append(out, fmt.Sprintf("%s tick %d, %d players, %d released", s.r.loadState(), s.r.tick.Load(),
			s.r.players.Load(), s.r.released.Load()))
		if s.r.ended && len(s.sh.rooms) == 0 {
			out = append(out, "room forgotten")
		}
	case "records":
		s.env.mu.Lock()
		recs := slices.Clone(s.env.records)
		s.env.mu.Unlock()
		for _, rec := range recs[s.records:] {
			out = append(out, fmt.Sprintf("record %s: %s ticks=%d winning_team=%d lasted=%v", rec.MatchID, rec.Outcome,
				rec.Ticks, rec.WinningTeam, rec.EndedAt.Sub(rec.StartedAt)))
			for _, p := range rec.Participants {
				out = append(out, fmt.Sprintf("  seat %d %s team=%d %s", p.Seat, p.PlayerID, p.Team, p.Result))
			}
		}
		if len(recs) == s.records {
			out = append(out, "no new records")
		}
		s.records = len(recs)
	default:
		s.fatalf(k, "unknown command")
	}
	return append(out, s.report()...)
}

func (s *roomScript) seatArg(k txtscript.Case, f []string, i int) int {
	if len(f) <= i {
		s.fatalf(k, "missing seat")
	}
	n := s.intArg(k, f[i])
	if s.r.findSeat(n) == nil {
		s.fatalf(k, "no seat %d", n)
	}
	return n
}

func (s *roomScript) intArg(k txtscript.Case, v string) int {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		s.fatalf(k, "bad number %q", v)
	}
	return n
}

func (s *roomScript) newRoom(k txtscript.Case, args []string) []string {
	if s.r != nil {
		s.fatalf(k, "one room per script")
	}
	cfg := testConfig()
	cfg.ServerID = "room-script"
	spec := contract.RoomSpec{MatchID: "m_script", Seed: 42}
	seats, rate, endAt := 2, 30, 0
	for _, a := range args {
		key, v, ok := strings.Cut(a, "=")
		if !ok {
			s.fatalf(k, "bad argument %q", a)
		}
		var err error
		switch key {
		case "mode":
			spec.Mode = v
		case "seats":
			seats = s.intArg(k, v)
		case "endat":
			endAt = s.intArg(k, v)
		case "rate":
			rate = s.intArg(k, v)
		case "slow":
			cfg.SlowConsumerTicks = s.intArg(k, v)
		case "grace":
			cfg.DefaultGrace, err = time.ParseDuration(v)
		case "wait":
			cfg.WaitDeadline, err = time.ParseDuration(v)
		default:
			s.fatalf(k, "unknown argument %q", a)
		}
		if err != nil {
			s.fatalf(k, "%s: %v", a, err)
		}
	}
	for i := 0; i < seats; i++ {
		spec.Seats = append(spec.Seats, contract.SeatSpec{Seat: i, PlayerID: fmt.Sprintf("p_%d", i), Team: i % 2,
			Oracle: ecs.OracleSpec{Archetype: "aries", Role: "host"}})
	}
	factory, engine := simFactory(s.content), "sim"
	if endAt > 0 {
		factory, engine = scriptFactory(rate, uint32(endAt)), "scripted engine"
	}
	s.env = newTestEnv(cfg)
	s.sh = newShard(&s.env.roomEnv, 0)
	s.r = s.env.newRoom(s.t, "r_script", spec, factory, s.sh)
	s.seat, s.seq, s.stalled = map[int]*scriptClient{}, map[int]uint32{}, map[*scriptClient]bool{}
	c := s.env.cfg
	return []string{fmt.Sprintf("%s on %s at %d Hz: %d seats, grace %v, slow consumer after %d ticks, wait %v",
		spec.Mode, engine, time.Second/s.r.clock.Step(), seats, c.graceFor(spec.Mode), c.slowConsumerTicks, c.waitDeadline),
		s.r.loadState().String()}
}

// connect queues a connection for seat st, as a reader that checked the
// client's ticket (and, for a resume, read its hello) would.
func (s *roomScript) connect(k txtscript.Case, st int, resume bool, token string, ack uint32) {
	spec := s.r.findSeat(st).spec
	w := newScriptWire()
	c := newConn(w, "mem", s.env.inbox, s.env.metrics.bytesOut.WithLabelValues("mem"))
	n := 0
	for _, cl := range s.clients {
		if cl.seat == st {
			n++
		}
	}
	name := fmt.Sprintf("seat %d", st)
	if n > 0 {
		name = fmt.Sprintf("seat %d #%d", st, n+1)
	}
	cl := &scriptClient{name: name, seat: st, c: c, w: w}
	s.clients = append(s.clients, cl)
	s.seat[st] = cl
	// A resume names its seat with the join ticket of the first join.
	claims := TicketClaims{Kind: KindJoin, Room: s.r.id, Seat: st,
		RegisteredClaims: jwt.RegisteredClaims{Subject: spec.PlayerID}}
	if !s.r.offerJoin(joinReq{c: c, claims: claims, resume: resume, token: token, lastAck: ack}) {
		s.fatalf(k, "join queue full")
	}
}

// welcomed is seat st's newest client that was welcomed, or nil.
func (s *roomScript) welcomed(st int) *scriptClient {
	for i := len(s.clients) - 1; i >= 0; i-- {
		if cl := s.clients[i]; cl.seat == st && cl.w.welcome.ResumeToken != "" {
			return cl
		}
	}
	return nil
}

// ticks moves the clock n periods, one shard pass each.
func (s *roomScript) ticks(n int) {
	for range n {
		s.env.now = s.env.now.Add(s.r.clock.Step())
		s.pass()
	}
}

// pass services the room at the clock, then runs the writers of the
// clients that are not stalled.
func (s *roomScript) pass() {
	s.sh.pass(func() time.Time { return s.env.now })
	s.writeAll()
}

// writeAll runs every live writer not stalled, as writeLoop would on its
// wake-up: everything queued, then, once the connection is closing, the
// final frame.
func (s *roomScript) writeAll() {
	for _, cl := range s.clients {
		if cl.done || s.stalled[cl] {
			continue
		}
		closing := cl.c.isClosed()
		passes := -1
		if closing {
			passes = 1
		}
		if !cl.c.flush(&cl.batch, passes) {
			s.t.Fatalf("%s: write failed", cl.name)
		}
		if closing {
			cl.c.outMu.Lock()
			final := cl.c.final
			cl.c.outMu.Unlock()
			if final != nil {
				_ = cl.w.WriteFrame(final)
			}
			cl.w.Close()
			cl.done = true
		}
	}
}

// report describes, per client, the frames written since the last report.
func (s *roomScript) report() []string {
	var out []string
	for _, cl := range s.clients {
		frames := cl.w.frames
		cl.w.frames = nil
		if len(frames) == 0 {
			continue
		}
		var parts []string
		snapAt, eventsAt := -1, -1 // where in parts the summaries go
		var snaps, first, last int
		var firstBase uint32
		var lastSnap netcode.SnapshotFrame
		var events []string
		for _, f := range frames {
			kind, err := netcode.PeekKind(f)
			if err != nil {
				s.t.Fatalf("%s: bad frame: %v", cl.name, err)
			}
			switch kind {
			case netcode.KindSnapshot:
				if err := netcode.DecodeSnapshot(f, &lastSnap); err != nil {
					s.t.Fatalf("%s: %v", cl.name, err)
				}
				if snaps == 0 {
					first, firstBase, snapAt = int(lastSnap.Tick), lastSnap.Base, len(parts)
					parts = append(parts, "")
				}
				snaps, last = snaps+1, int(lastSnap.Tick)
				cl.w.lastSnap = lastSnap.Tick
			case netcode.KindEvents:
				var ev netcode.EventsFrame
				if err := netcode.DecodeEvents(f, &ev); err != nil {
					s.t.Fatalf("%s: %v", cl.name, err)
				}
				if eventsAt < 0 {
					eventsAt = len(parts)
					parts = append(parts, "")
				}
				for _, e := range ev.Events {
					events = append(events, fmt.Sprintf("t%d:%d", ev.Tick, e.Kind))
				}
			case netcode.KindWelcome:
				w := &cl.w.welcome
				if err := netcode.DecodeWelcome(f, w); err != nil {
					s.t.Fatalf("%s: %v", cl.name, err)
				}
				parts = append(parts, fmt.Sprintf("welcome seat=%d tick=%d rate=%d entity=%d token=%t",
					w.Seat, w.ServerTick, w.TickRate, w.EntityID, w.ResumeToken != ""))
			case netcode.KindError:
				var e netcode.ErrorFrame
				if err := netcode.DecodeError(f, &e); err != nil {
					s.t.Fatalf("%s: %v", cl.name, err)
				}
				parts = append(parts, fmt.Sprintf("error %s %q", e.Code, e.Message))
			case netcode.KindServerBye:
				code, err := netcode.DecodeBye(f, kind)
				if err != nil {
					s.t.Fatalf("%s: %v", cl.name, err)
				}
				parts = append(parts, "bye "+code.String())
			default:
				parts = append(parts, kind.String())
			}
		}
		if snapAt >= 0 {
			parts[snapAt] = fmt.Sprintf("snapshots %d t%d..t%d (bases t%d..t%d, input ack %d)", snaps, first, last,
				firstBase, lastSnap.Base, lastSnap.InputAck)
		}
		if eventsAt >= 0 {
			parts[eventsAt] = "events " + strings.Join(events, " ")
		}
		line := cl.name + ": " + strings.Join(parts, "; ")
		if cl.done {
			line += "; closed"
		}
		out = append(out, line)
	}
	return out
}

// close closes the connections the script left open.
func (s *roomScript) close() {
	for _, cl := range s.clients {
		cl.c.closeWith(nil)
		cl.w.Close()
	}
}
