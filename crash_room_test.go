package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/bot"
	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/internal/testlog"
	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/pantheon-oracles/pantheon/netcode/client"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
	"github.com/pantheon-oracles/pantheon/persistence/sqlstore"
	"github.com/pantheon-oracles/pantheon/server"
	"github.com/prometheus/client_golang/prometheus"
)

// The crash tests run a room server in a child process (this test binary,
// re-executed to run only TestRoomCrashChild) so that it can be killed
// with SIGKILL at chosen moments and restarted on the same disk.
const (
	crashChildEnv  = "PANTHEON_CRASH_CHILD"   // set in the child: the directory of its db and outbox
	crashModeEnv   = "PANTHEON_CRASH_MODE"    // the child's self-kill: before-submit, during-submit, after-submit
	crashSeedEnv   = "PANTHEON_CRASH_SEED"    // seeds the child's random kill point
	crashRoundsEnv = "PANTHEON_CRASH_ROUNDS"  // rounds of TestRoomCrashEndWindow (default 32)
	crashDBEnv     = "PANTHEON_CRASH_DB"      // the child's database URL; default an SQLite file in its directory
	crashLobbyEnv  = "PANTHEON_CRASH_LOBBY"   // "URL secret": the lobby the child heartbeats into; default none
	crashContent   = "PANTHEON_CRASH_CONTENT" // "embedded" for the real content; default quickDuelContent
	crashSecret    = "crash-test-fleet-secret-0123456789abcdef"
	crashTicketKey = "crash-test-ticket-key-0123456789abcdef"
	crashMode      = "battle_1v1"
)

// quickDuelContent is the embedded content with every element at 1 HP
// and the two teams' first spawns side by side: a duel ends at the first
// hit, so a crash test plays many matches in seconds. The rules are
// otherwise the real ones.
func quickDuelContent() (*content.Bundle, error) {
	src := content.Embedded()
	m := fstest.MapFS{}
	err := fs.WalkDir(src, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(src, path)
		if err != nil {
			return err
		}
		switch path {
		case "elements.json":
			b = regexp.MustCompile(`"hp": *\d+`).ReplaceAll(b, []byte(`"hp": 1`))
		case "arenas.json":
			b = bytes.ReplaceAll(b, []byte(`{"x": 3400, "y": 2000}`), []byte(`{"x": 900, "y": 2000}`))
			b = bytes.ReplaceAll(b, []byte(`{"x": 1800, "y": 3100}`), []byte(`{"x": 1800, "y": 800}`))
		}
		m[path] = &fstest.MapFile{Data: b}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return content.Parse(m)
}

// crashSink is the child's sink: the real outbox, with an optional
// self-kill on the path of the kill-th Submit.
type crashSink struct {
	ob    server.ResultSink
	mode  string
	kill  int64 // 1-based Submit (after start-up) to die on; 0 never
	n     atomic.Int64
	armed atomic.Bool // false during start-up (journal recovery submits too)
}

func (s *crashSink) Submit(ctx context.Context, rec contract.MatchRecord) error {
	if !s.armed.Load() || s.n.Add(1) != s.kill {
		return s.ob.Submit(ctx, rec)
	}
	switch s.mode {
	case "before-submit":
		dieNow()
	case "during-submit":
		// Die at a random point while the outbox writes and fsyncs.
		d := time.Duration(rand.Int64N(int64(3 * time.Millisecond)))
		time.AfterFunc(d, dieNow)
	}
	err := s.ob.Submit(ctx, rec)
	if s.mode == "after-submit" || s.mode == "during-submit" {
		dieNow() // durable, the room not yet told
	}
	return err
}

// dieNow kills this process outright (SIGKILL on Unix, TerminateProcess on
// Windows): no deferred call, no flush.
func dieNow() {
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		_ = p.Kill()
	}
	select {} // the signal is on its way
}

// TestRoomCrashChild is the child room server; it does nothing unless
// crashChildEnv is set.
func TestRoomCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("the crash tests' child process (runs only when re-executed by them)")
	}
	if err := runCrashChild(dir); err != nil {
		fmt.Println("CHILD-ERROR", err)
		os.Exit(3)
	}
	os.Exit(0)
}

// crashChildInfo is the child's READY line.
type crashChildInfo struct {
	Admin string `json:"admin"`
	WS    string `json:"ws"`
	KCP   string `json:"kcp"`
}

func runCrashChild(dir string) error {
	ctx := context.Background()
	bundle, err := quickDuelContent()
	if os.Getenv(crashContent) == "embedded" {
		bundle, err = content.Load()
	}
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dbURL := os.Getenv(crashDBEnv)
	if dbURL == "" {
		dbURL = "sqlite:" + filepath.Join(dir, "pantheon.db")
	}
	store, err := sqlstore.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer store.Close()
	reg := prometheus.NewRegistry()
	ob, stopOutbox, err := startOutbox(filepath.Join(dir, "outbox"), store, reg, log, 5*time.Second)
	if err != nil {
		return err
	}
	defer stopOutbox()
	seed, _ := strconv.ParseUint(os.Getenv(crashSeedEnv), 10, 64)
	sink := &crashSink{ob: ob, mode: os.Getenv(crashModeEnv)}
	if sink.mode != "" {
		sink.kill = 1 + int64(seed%2) // the first or the second match's Submit
	}
	var lobbyURLs []string // none: the child heartbeats nowhere
	secret := crashSecret
	if v := os.Getenv(crashLobbyEnv); v != "" {
		var lobbyURL string
		lobbyURL, secret, _ = strings.Cut(v, " ")
		lobbyURLs = []string{lobbyURL}
	}
	srv, err := server.New(server.Config{
		ServerID: "crash-room", KCPAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0",
		TicketKey: []byte(crashTicketKey), FleetSecret: secret, LobbyURLs: lobbyURLs, Heartbeat: 200 * time.Millisecond,
		TickRates:    map[string]int{crashMode: 120},
		DrainTimeout: time.Second, FlushTimeout: 5 * time.Second,
		Journal: filepath.Join(dir, "outbox", roomJournalFile),
		Logger:  log, Registry: reg,
	}, bundle, sink)
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	sink.armed.Store(true)
	info, _ := json.Marshal(crashChildInfo{Admin: srv.AdminAddr(), WS: srv.PublicWSURL(), KCP: srv.PublicKCPAddr()})
	fmt.Printf("READY %s\n", info)
	// Run until the parent closes stdin (a graceful stop), or is killed.
	_, _ = io.Copy(io.Discard, os.Stdin)
	return srv.Shutdown()
}

// crashChild is a running child room server.
type crashChild struct {
	cmd   *exec.Cmd
	info  crashChildInfo
	stdin io.WriteCloser
	done  chan error
	out   *testlog.Buffer // stderr, for failure messages (written by exec's copier while read)
}

// startCrashChild starts a child on dir and waits for its READY line.
func startCrashChild(t *testing.T, dir, mode string, seed uint64, env ...string) *crashChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRoomCrashChild$", "-test.count=1", "-test.v=false")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir, crashModeEnv+"="+mode, crashSeedEnv+"="+strconv.FormatUint(seed, 10))
	cmd.Env = append(cmd.Env, env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &crashChild{cmd: cmd, stdin: stdin, done: make(chan error, 1), out: &testlog.Buffer{}}
	cmd.Stderr = c.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
				ready <- line
			} else if strings.HasPrefix(sc.Text(), "CHILD-ERROR") {
				ready <- sc.Text()
			}
		}
		c.done <- cmd.Wait()
	}()
	select {
	case line := <-ready:
		if err := json.Unmarshal([]byte(line), &c.info); err != nil {
			t.Fatalf("child: %s\nstderr:\n%s", line, c.out)
		}
	case err := <-c.done:
		t.Fatalf("child exited before it was ready: %v\nstderr:\n%s", err, c.out)
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("child not ready after 60 s\nstderr:\n%s", c.out)
	}
	return c
}

// kill sends SIGKILL (idempotent).
func (c *crashChild) kill() { _ = c.cmd.Process.Signal(syscall.SIGKILL) }

// wait waits for the child to exit, at most d; it is killed past that.
func (c *crashChild) wait(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(d):
		c.kill()
		<-c.done
		t.Fatalf("child still running after %s; killed\nstderr:\n%s", d, c.out)
	}
}

// stop closes the child's stdin (a graceful drain) and waits.
func (c *crashChild) stop(t *testing.T) {
	t.Helper()
	c.stdin.Close()
	c.wait(t, 60*time.Second)
}

// createCrashRoom asks the child's control API for a room and returns the
// seats' tickets in seat order.
func createCrashRoom(ctx context.Context, admin string, spec contract.RoomSpec) ([]string, error) {
	raw, _ := json.Marshal(spec)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+admin+"/v1/rooms", bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+crashSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated {
		return nil, fmt.Errorf("create room %s: %s: %s", spec.MatchID, resp.Status, body)
	}
	var out struct {
		Seats []struct {
			Seat   int    `json:"seat"`
			Ticket string `json:"ticket"`
		} `json:"seats"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, err
	}
	tickets := make([]string, len(spec.Seats))
	for _, s := range out.Seats {
		tickets[s.Seat] = s.Ticket
	}
	return tickets, nil
}

// crashSeats are the seats of one duel for the given players.
func crashSeats(content *content.Bundle, players []string, seed uint64) ([]ecs.Seat, []contract.SeatSpec, error) {
	seats, err := bot.Seats(content, crashMode, len(players), seed)
	if err != nil {
		return nil, nil, err
	}
	var specs []contract.SeatSpec
	for i := range seats {
		seats[i].PlayerID = players[i]
		specs = append(specs, contract.SeatSpec{Seat: seats[i].Seat, PlayerID: players[i], Team: seats[i].Team, Oracle: seats[i].Oracle})
	}
	return seats, specs, nil
}

// crashBot plays one seat over WebSocket with an ecs bot. onEnd is called
// on the client's reader goroutine the moment it reads the match end
// event.
type crashBot struct {
	c    *client.Client
	done chan struct{}
}

func startCrashBot(ctx context.Context, content *content.Bundle, seat ecs.Seat, ticket, wsURL string, seed uint64, onEnd func()) (*crashBot, error) {
	b, err := bot.New(content, crashMode, "", seat, seed, 0)
	if err != nil {
		return nil, err
	}
	latest := make(chan netcode.Snapshot, 1)
	cfg := client.DefaultConfig(ticket)
	cfg.OnSnapshot = func(s *netcode.Snapshot) {
		var cp netcode.Snapshot
		cp.CopyFrom(s)
		select {
		case <-latest:
		default:
		}
		latest <- cp
	}
	cfg.OnEvents = func(f *netcode.EventsFrame) {
		for _, ev := range f.Events {
			if ecs.EventKind(ev.Kind) == ecs.EventMatchEnd {
				onEnd()
			}
		}
	}
	d := transport.WSDialer{URL: wsURL, Config: transport.DefaultWSConfig(transport.ClientConfig())}
	c, err := client.Connect(ctx, d, cfg)
	if err != nil {
		return nil, err
	}
	cb := &crashBot{c: c, done: make(chan struct{})}
	self := c.Welcome().EntityID
	go func() {
		defer close(cb.done)
		var views []ecs.EntityView
		for {
			select {
			case <-c.Done():
				return
			case s := <-latest:
				views = views[:0]
				for _, e := range s.Entities {
					var v ecs.EntityView
					v.ID = e.ID
					copy(v.F[:], e.Fields[:ecs.ViewFields])
					views = append(views, v)
				}
				if in, ok := b.Act(int(s.Tick)+1, self, views); ok {
					if _, err := c.SendInput(server.WireInput(in)); err != nil {
						return
					}
				}
			}
		}
	}()
	return cb, nil
}

func (b *crashBot) close() {
	b.c.Close()
	<-b.done
}

// TestRoomCrashEndWindow is the crash test of the match-end window: a
// child room server with a real outbox plays duels; it is SIGKILLed the
// instant a client reads its match end, at a random moment mid-match, or
// by itself just before, during or just after the outbox's write and
// fsync. It is restarted on the same disk each round. At the end every
// match a client was told ended must be in the database exactly once:
// lost = 0, duplicated = 0.
func TestRoomCrashEndWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("crash rounds with child processes (skipped in -short)")
	}
	content, err := quickDuelContent()
	if err != nil {
		t.Fatal(err)
	}
	rounds := 32
	if v := os.Getenv(crashRoundsEnv); v != "" {
		if rounds, err = strconv.Atoi(v); err != nil || rounds < 1 {
			t.Fatalf("%s=%q: want a positive number", crashRoundsEnv, v)
		}
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	players := crashPlayers(t, ctx, dir, 4)

	modes := []string{"on-end", "mid-match", "before-submit", "during-submit", "after-submit"}
	var told sync.Map // match id -> true: a client read its match end
	var matches []string
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d (kill points are drawn from it)", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	for round := range rounds {
		mode := modes[round%len(modes)]
		child := startCrashChild(t, dir, strings.TrimPrefix(strings.TrimPrefix(mode, "on-end"), "mid-match"), rng.Uint64())
		var once sync.Once
		killOnEnd := func() {}
		if mode == "on-end" {
			killOnEnd = func() { once.Do(child.kill) }
		}
		// Both rooms first: a duel at 1 HP can end before a second room
		// would be created.
		type duel struct {
			id      string
			seats   []ecs.Seat
			tickets []string
		}
		var duels []duel
		for m := range 2 {
			id := fmt.Sprintf("m_crash_%02d_%d", round, m)
			seats, specs, err := crashSeats(content, players[2*m:2*m+2], rng.Uint64())
			if err != nil {
				t.Fatal(err)
			}
			tickets, err := createCrashRoom(ctx, child.info.Admin, contract.RoomSpec{MatchID: id, Mode: crashMode, Seed: rng.Uint64(), Seats: specs})
			if err != nil {
				t.Fatalf("round %d (%s): %v\nstderr:\n%s", round, mode, err, child.out)
			}
			matches = append(matches, id)
			duels = append(duels, duel{id, seats, tickets})
		}
		var bots []*crashBot
		for _, d := range duels {
			for i, st := range d.seats {
				b, err := startCrashBot(ctx, content, st, d.tickets[i], child.info.WS, rng.Uint64(), func() {
					told.Store(d.id, true)
					killOnEnd()
				})
				if err != nil {
					// The child may have died already (killed on the other
					// duel's end); this duel then has no client to tell.
					continue
				}
				bots = append(bots, b)
			}
		}
		switch mode {
		case "mid-match":
			time.Sleep(time.Duration(rng.Int64N(int64(300 * time.Millisecond))))
			child.kill()
		case "on-end":
		default:
			// The child kills itself on one Submit; the other match may
			// end and be told before that.
		}
		child.wait(t, 60*time.Second)
		for _, b := range bots {
			b.close()
		}
	}

	// A last start recovers the outbox and the journal; a graceful stop
	// flushes everything to the database.
	startCrashChild(t, dir, "", 0).stop(t)
	store, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(dir, "pantheon.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var lost, stored, toldN, aborted int
	rated := map[string]int{}
	for _, id := range matches {
		_, wasTold := told.Load(id)
		rec, err := store.Match(ctx, id)
		switch {
		case err == nil:
			stored++
			if rec.Outcome == contract.OutcomeAborted {
				aborted++
			}
			if rec.Outcome != contract.OutcomeAborted {
				for _, p := range rec.Participants {
					rated[p.PlayerID]++
				}
			}
		case wasTold:
			lost++
			t.Errorf("match %s: a client read its end, but it is not in the database (%v)", id, err)
		default:
			// The room journal makes every accepted room end up with a
			// record: its result, or aborted after the crash.
			t.Errorf("match %s: accepted by a room server that crashed, but no record (not even aborted): %v", id, err)
		}
		if wasTold {
			toldN++
		}
	}
	// A record applied twice would count twice in its players' ratings.
	duplicated := 0
	rs, err := store.Ratings(ctx, crashMode, players)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Matches != rated[r.PlayerID] {
			duplicated += r.Matches - rated[r.PlayerID]
			t.Errorf("player %s: rating counts %d matches, the database holds %d rated matches of theirs", r.PlayerID, r.Matches, rated[r.PlayerID])
		}
	}
	t.Logf("%d rounds, %d matches: %d told ended, %d stored (%d recovered as aborted); lost %d, duplicated %d", rounds, len(matches), toldN, stored, aborted, lost, duplicated)
	if toldN < rounds/3 {
		t.Errorf("only %d of %d matches were told ended: the test did not exercise the end window", toldN, len(matches))
	}
}

// crashPlayers creates n players in the database under dir.
func crashPlayers(t *testing.T, ctx context.Context, dir string, n int) []string {
	t.Helper()
	store, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(dir, "pantheon.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var ids []string
	for i := range n {
		p, _, err := store.LoginIdentity(ctx, "dev", fmt.Sprintf("crash-%d", i), fmt.Sprintf("crash %d", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	return ids
}
