package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/pantheon-oracles/pantheon/bench"
	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/bot"
	"github.com/pantheon-oracles/pantheon/lobby"
	"github.com/pantheon-oracles/pantheon/lobby/auth"
	"github.com/pantheon-oracles/pantheon/lobby/store"
	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/pantheon-oracles/pantheon/persistence/sqlstore"
	"github.com/pantheon-oracles/pantheon/server"
	"github.com/prometheus/client_golang/prometheus"
)

// devConfig is what `pantheon dev` runs: the lobby, one room server and the
// results pipeline in one process, on embedded defaults.
type devConfig struct {
	LobbyAddr  string       // lobby HTTP listen address
	LobbyAdmin string       // lobby /metrics and pprof; "" for none
	KCPAddr    string       // room server KCP (UDP) address
	WSAddr     string       // room server WebSocket address
	AdminAddr  string       // room server control API, /metrics, pprof
	DB         string       // database URL; the embedded SQLite file by default
	OutboxDir  string       // durable results outbox of the room server
	Content    *ecs.Content // the game content; nil: the embedded content
	NoRoom     bool         // start no room server (tests: room servers in processes of their own register with the lobby)
	TickRates  map[string]int
	// CORSOrigins are the lobby's extra browser origins, WSOrigins the room
	// server's WebSocket origins; the page's own origin (the lobby URL) is
	// always allowed on both. nil: devOrigins.
	CORSOrigins, WSOrigins []string
	Log                    *slog.Logger
}

// devOrigins is the browser access `pantheon dev` allows by default: pages
// served from this machine on any port (a bundler's dev server, another
// checkout's page), besides its own page.
var devOrigins = []string{"http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"}

// devServerID names the dev room server in the lobby's registry.
const devServerID = "dev-room"

// devSystem is a running `pantheon dev`.
type devSystem struct {
	cfg         devConfig
	content     *ecs.Content
	store       persistence.Store
	room        *server.Server
	lobbyURL    string
	page        *devPage // the browser page and its /dev/ API on the lobby port
	lobbyAdmin  string   // bound lobby admin address, "" when off
	fleetSecret string
	lobbyDone   chan error
	stopOutbox  func()
	stopLobby   context.CancelFunc
	stopAdmin   func() // lobby admin server; a no-op when off
}

// startDev starts the whole system. Secrets (fleet secret, access-token key,
// join-ticket key) are drawn per process: tokens do not outlive a restart.
func startDev(ctx context.Context, cfg devConfig) (_ *devSystem, err error) {
	d := &devSystem{cfg: cfg, fleetSecret: randomHex(32), stopAdmin: func() {}}
	var closers []func()
	defer func() {
		if err != nil {
			for i := len(closers) - 1; i >= 0; i-- {
				closers[i]()
			}
		}
	}()
	if d.content = cfg.Content; d.content == nil {
		if d.content, err = ecs.LoadContent(); err != nil {
			return nil, err
		}
	}
	if d.store, err = sqlstore.Open(ctx, cfg.DB); err != nil {
		return nil, fmt.Errorf("database %s: %w", cfg.DB, err)
	}
	closers = append(closers, func() { d.store.Close() })

	// The lobby: in-memory state, the embedded database, content-checked rosters.
	lcfg := lobby.Config{
		ReplicaID:   "dev",
		Auth:        auth.Config{Key: []byte(randomHex(32))},
		FleetSecret: d.fleetSecret,
		// One machine plays every bot from 127.0.0.1: the per-IP limits of
		// a public lobby would throttle `pantheon bench` at once.
		Limits: lobby.Limits{
			PerIP:      store.Limit{Rate: 5000, Burst: 5000},
			LoginPerIP: store.Limit{Rate: 2000, Burst: 2000},
		},
		ContentVersion: d.content.Version(),
		CORSOrigins:    orDefault(cfg.CORSOrigins, devOrigins),
	}
	st := store.NewMemory(store.MemoryConfig{})
	closers = append(closers, func() { st.Close() })
	cc, err := newClientContent(d.content)
	if err != nil {
		return nil, err
	}
	d.page = newDevPage(d.store, d.content, cfg.Log)
	closers = append(closers, d.page.close)
	l, err := lobby.New(lcfg, lobby.Deps{
		Store: st, Accounts: d.store, Refresh: d.store, Rosters: d.store, Ratings: d.store, Database: d.store,
		Validator: contentValidator(d.content), Content: cc, Site: d.page.handler(), Log: cfg.Log,
	})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.LobbyAddr)
	if err != nil {
		return nil, fmt.Errorf("lobby listen: %w", err)
	}
	d.lobbyURL = "http://" + ln.Addr().String()
	d.page.lobby, d.page.lobbyURL = l, d.lobbyURL
	lctx, stopLobby := context.WithCancel(context.Background())
	d.stopLobby, d.lobbyDone = stopLobby, make(chan error, 1)
	go func() { d.lobbyDone <- l.Run(lctx, ln) }()
	closers = append(closers, func() { stopLobby(); <-d.lobbyDone })
	if cfg.LobbyAdmin != "" {
		bound, stopAdmin, err := serveLobbyAdmin(lctx, l, cfg.LobbyAdmin, cfg.Log)
		if err != nil {
			return nil, err
		}
		d.lobbyAdmin, d.stopAdmin = bound, stopAdmin
		closers = append(closers, stopAdmin)
	}

	if cfg.NoRoom {
		d.stopOutbox = func() {}
		return d, nil
	}
	// The room server, heartbeating into the lobby, with its outbox
	// flushing finished matches into the same database.
	reg := prometheus.NewRegistry()
	outbox, stopOutbox, err := startOutbox(cfg.OutboxDir, d.store, reg, cfg.Log, 10*time.Second)
	if err != nil {
		return nil, fmt.Errorf("outbox %s: %w", cfg.OutboxDir, err)
	}
	d.stopOutbox = stopOutbox
	closers = append(closers, stopOutbox)
	d.room, err = server.New(server.Config{
		ServerID: devServerID, KCPAddr: cfg.KCPAddr, WSAddr: cfg.WSAddr, AdminAddr: cfg.AdminAddr,
		TicketKey: []byte(randomHex(32)), FleetSecret: d.fleetSecret,
		LobbyURL: d.lobbyURL, Heartbeat: time.Second, TickRates: cfg.TickRates,
		DrainTimeout: 10 * time.Second, FlushTimeout: 10 * time.Second,
		Journal: filepath.Join(cfg.OutboxDir, roomJournalFile),
		Logger:  cfg.Log, Registry: reg,
		// Every bot of `pantheon bench` comes from 127.0.0.1: the per-source
		// caps of a public server would refuse a swarm dialing at once.
		ConnsPerIP: 1 << 16, PendingPerAddr: 256, PendingPerPrefix: 256,
		// The page served at the lobby URL plays over this WebSocket.
		AllowedOrigins: append([]string{d.lobbyURL}, orDefault(cfg.WSOrigins, devOrigins)...),
	}, d.content, outbox)
	if err != nil {
		return nil, err
	}
	if err := d.room.Start(); err != nil {
		return nil, err
	}
	return d, nil
}

// waitReady polls the lobby until it lists the room server (its first
// heartbeat arrived), or ctx ends.
func (d *devSystem) waitReady(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.lobbyURL+"/v1/servers", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+d.fleetSecret)
	for {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			var list struct {
				Servers []struct {
					ServerID string `json:"server_id"`
				} `json:"servers"`
			}
			derr := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&list)
			resp.Body.Close()
			listed := false
			for _, s := range list.Servers {
				listed = listed || s.ServerID == devServerID
			}
			if resp.StatusCode == http.StatusOK && derr == nil && listed {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the room server never reached the lobby: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stop drains the room server, then stops the lobby, flushes the outbox
// and closes the database, in that order.
func (d *devSystem) stop() error {
	d.page.close() // the page's bots first: they are clients of the rest
	var err error
	if d.room != nil {
		err = d.room.Shutdown()
	}
	d.stopAdmin()
	d.stopLobby()
	if lerr := <-d.lobbyDone; lerr != nil && err == nil {
		err = lerr
	}
	d.stopOutbox()
	if cerr := d.store.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

// runDev runs the whole system on one machine: the lobby (in-memory state),
// one room server, and the embedded database with the results outbox. It
// plays one bot match through all of it at start-up (unless -bots 0), then
// serves until interrupted. -demo instead plays one headless match of each
// mode on the bare simulation and exits.
func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := devConfig{}
	fs.StringVar(&cfg.LobbyAddr, "lobby", "127.0.0.1:8080", "lobby HTTP listen address")
	fs.StringVar(&cfg.LobbyAdmin, "lobby-admin", "127.0.0.1:8081", "lobby /metrics and /debug/pprof listen address (\"\": off)")
	fs.StringVar(&cfg.KCPAddr, "kcp", "127.0.0.1:7000", "room server KCP (UDP) listen address")
	fs.StringVar(&cfg.WSAddr, "ws", "127.0.0.1:7001", "room server WebSocket listen address")
	fs.StringVar(&cfg.AdminAddr, "admin", "127.0.0.1:7002", "room server control API, /metrics and /debug/pprof")
	fs.StringVar(&cfg.DB, "db", sqlstore.DefaultDevURL, "database URL: sqlite:PATH (embedded) or postgres://...")
	fs.StringVar(&cfg.OutboxDir, "outbox", "data/outbox", "directory of the durable results outbox")
	corsOrigins := fs.String("cors-origins", strings.Join(devOrigins, ","), "comma-separated browser origins allowed to call the lobby from another origin (its own page always is)")
	wsOrigins := fs.String("ws-origins", strings.Join(devOrigins, ","), "comma-separated browser origins allowed on the room server's WebSocket (the lobby's page always is)")
	bots := fs.Int("bots", 2, "bots that play one match through the whole system at start-up (0: none)")
	botMode := fs.String("bot-mode", "battle_1v1", "queue the start-up bots join")
	once := fs.Bool("once", false, "exit after the start-up bot match instead of serving")
	logLevel := fs.String("log-level", "warn", "debug, info, warn or error")
	demo := fs.Bool("demo", false, "play one headless match of each mode on the bare simulation and exit")
	seed := fs.Uint64("seed", 1, "seed of the -demo matches")
	mode := fs.String("mode", "", "with -demo: play only this mode")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *demo {
		return runDemo(ctx, *seed, *mode, stdout, stderr)
	}
	log, err := newLogger(stderr, *logLevel, "text")
	if err != nil {
		fmt.Fprintln(stderr, "pantheon dev:", err)
		return 2
	}
	cfg.Log = log
	cfg.CORSOrigins, cfg.WSOrigins = splitList(*corsOrigins), splitList(*wsOrigins)
	if cfg.CORSOrigins == nil {
		cfg.CORSOrigins = []string{} // an explicit empty flag: no extra origin
	}
	if cfg.WSOrigins == nil {
		cfg.WSOrigins = []string{}
	}
	d, err := startDev(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "pantheon dev:", err)
		return 1
	}
	fmt.Fprintf(stdout, `pantheon dev: the whole system on one machine (content %s)
  play         %s/  (the browser page: log in, queue with bots, play)
  lobby        %s  (OpenAPI: %s/v1/openapi.json; metrics: http://%s/metrics)
  room server  kcp %s  ws %s
  room admin   http://%s  (/metrics, /debug/pprof, control API)
  database     %s, results outbox %s
  fleet secret %s  (for pantheon bench and the control API)
`, d.content.Version(), d.lobbyURL, d.lobbyURL, d.lobbyURL, d.lobbyAdmin, d.room.PublicKCPAddr(), d.room.PublicWSURL(),
		d.room.AdminAddr(), cfg.DB, cfg.OutboxDir, d.fleetSecret)

	code := 0
	if *bots > 0 {
		if _, _, err := d.playBots(ctx, *bots, *botMode, stdout); err != nil {
			fmt.Fprintln(stderr, "pantheon dev:", err)
			code = 1
		}
	}
	if !*once && code == 0 {
		fmt.Fprintln(stdout, "serving; press Ctrl-C to stop")
		<-ctx.Done()
	}
	fmt.Fprintln(stdout, "pantheon dev: stopping")
	if err := d.stop(); err != nil {
		fmt.Fprintln(stderr, "pantheon dev:", err)
		return 1
	}
	return code
}

// playBots runs the bench "match" scenario against the system, waits for
// each finished match to land in the database and shows it with the
// players' new ratings.
func (d *devSystem) playBots(ctx context.Context, n int, mode string, stdout io.Writer) (bench.Report, []contract.MatchRecord, error) {
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err := d.waitReady(rctx)
	cancel()
	if err != nil {
		return bench.Report{}, nil, err
	}
	fmt.Fprintf(stdout, "\n%d bots: guest login, roster, queue for %s, play to the end...\n", n, mode)
	rep, err := bench.Run(ctx, bench.Config{Scenario: bench.ScenarioMatch, Lobby: d.lobbyURL, Mode: mode, Clients: n, Timeout: 3 * time.Minute})
	if err != nil {
		return rep, nil, err
	}
	if err := rep.WriteText(stdout); err != nil {
		return rep, nil, err
	}
	if rep.Failed > 0 || rep.Match == nil || rep.Match.Finished != n {
		return rep, nil, fmt.Errorf("the bot match did not finish cleanly (%d failed)", rep.Failed)
	}
	var recs []contract.MatchRecord
	for _, id := range rep.Match.MatchIDs {
		rec, err := d.waitStored(ctx, id)
		if err != nil {
			return rep, recs, err
		}
		recs = append(recs, rec)
		fmt.Fprintf(stdout, "stored %s: %s %s after %d ticks, %d rewards, replay %d bytes, final hash %016x\n",
			rec.MatchID, rec.Mode, rec.Outcome, rec.Ticks, len(rec.Rewards), len(rec.Replay), rec.FinalHash)
		ids := make([]string, len(rec.Participants))
		for i, p := range rec.Participants {
			ids[i] = p.PlayerID
		}
		ratings, err := d.store.Ratings(ctx, rec.Mode, ids)
		if err != nil {
			return rep, recs, err
		}
		for i, p := range rec.Participants {
			fmt.Fprintf(stdout, "  seat %d team %d %-4s player %s: rating mu %.2f sigma %.2f after %d match(es)\n",
				p.Seat, p.Team, p.Result, p.PlayerID, ratings[i].Mu, ratings[i].Sigma, ratings[i].Matches)
		}
	}
	return rep, recs, nil
}

// waitStored polls the database until the outbox has flushed match id.
func (d *devSystem) waitStored(ctx context.Context, id string) (contract.MatchRecord, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		rec, err := d.store.Match(ctx, id)
		if err == nil {
			return rec, nil
		}
		if !errors.Is(err, persistence.ErrNotFound) {
			return rec, err
		}
		select {
		case <-ctx.Done():
			return rec, fmt.Errorf("match %s never reached the database: %w", id, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// orDefault is v, or def when v is nil.
func orDefault(v, def []string) []string {
	if v == nil {
		return def
	}
	return v
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// runDemo plays one headless match of each mode (or only mode) with scripted
// bots on the bare simulation and prints each result.
func runDemo(ctx context.Context, seed uint64, mode string, stdout, stderr io.Writer) int {
	c, err := ecs.LoadContent()
	if err != nil {
		fmt.Fprintf(stderr, "pantheon dev: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "pantheon dev -demo: one headless match per mode, bots on every seat (content %s, seed %d)\n", c.Version(), seed)
	played := 0
	for _, m := range c.Modes() {
		if mode != "" && m.ID != mode {
			continue
		}
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "pantheon dev: interrupted")
			return 130
		}
		start := time.Now()
		r, err := bot.Demo(c, m.ID, seed)
		if err != nil {
			fmt.Fprintf(stderr, "pantheon dev: %s: %v\n", m.ID, err)
			return 1
		}
		fmt.Fprintln(stdout)
		for _, line := range bot.Summary(c, r) {
			fmt.Fprintln(stdout, line)
		}
		fmt.Fprintf(stdout, "  simulated in %v\n", time.Since(start).Round(time.Millisecond))
		played++
	}
	if played == 0 {
		fmt.Fprintf(stderr, "pantheon dev: unknown mode %q\n", mode)
		return 2
	}
	return 0
}
