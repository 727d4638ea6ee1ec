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
	"slices"
	"time"

	"github.com/pantheon-oracles/pantheon/bench"
	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/internal/devbots"
	"github.com/pantheon-oracles/pantheon/lobby/store"
	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/pantheon-oracles/pantheon/persistence/sqlstore"
	"github.com/pantheon-oracles/pantheon/server"
	"github.com/prometheus/client_golang/prometheus"
)

// devOptions are what `pantheon dev` runs: the lobby and one room server,
// configured by the options and builders of `pantheon lobby` and `pantheon
// room` with dev's defaults (defaultDevOptions), sharing one database and
// the results pipeline in one process.
type devOptions struct {
	// Lobby is the lobby's options. At start its content version is the
	// content's, and its state is in memory.
	Lobby lobbyOptions
	// Room is the room server's options. At start it heartbeats into the
	// lobby, and the lobby's page is one of its WebSocket origins.
	Room roomOptions
	// DB is the database URL both use; the embedded SQLite file by default.
	DB string
	// Content is the game content; nil: the embedded content.
	Content *content.Bundle
	// NoRoom starts no room server (tests: room servers in processes of
	// their own register with the lobby).
	NoRoom bool
	// Log is every part's logger.
	Log *slog.Logger
}

// devOrigins is the browser access `pantheon dev` allows by default: pages
// served from this machine on any port (a bundler's dev server, another
// checkout's page), besides its own page.
var devOrigins = []string{"http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"}

// devServerID names the dev room server in the lobby's registry.
const devServerID = "dev-room"

// defaultDevOptions are `pantheon dev`'s defaults: the lobby's and the room
// server's own, but for what one machine running everything needs. The
// fleet secret and the access-token key are drawn per process (tokens do
// not outlive a restart); the join-ticket key is the room server's random
// per-process default.
func defaultDevOptions() devOptions {
	secret := randomHex(32)
	lo := defaultLobbyOptions()
	lo.Lobby.ReplicaID = "dev"
	lo.JWTKey, lo.Lobby.FleetSecret = randomHex(32), secret
	// One machine plays every bot from 127.0.0.1: the per-IP limits of a
	// public lobby would throttle `pantheon bench` at once.
	lo.Lobby.Limits.PerIP = store.Limit{Rate: 5000, Burst: 5000}
	lo.Lobby.Limits.LoginPerIP = store.Limit{Rate: 2000, Burst: 2000}
	lo.Lobby.CORSOrigins = slices.Clone(devOrigins)

	ro := defaultRoomOptions()
	ro.Server.ServerID, ro.Server.FleetSecret = devServerID, secret
	ro.Server.Heartbeat = time.Second
	ro.Server.DrainTimeout, ro.Server.FlushTimeout = 10*time.Second, 10*time.Second
	// Every bot of `pantheon bench` comes from 127.0.0.1: the per-source
	// caps of a public server would refuse a swarm dialing at once.
	ro.Server.ConnsPerIP, ro.Server.PendingPerAddr, ro.Server.PendingPerPrefix = 1<<16, 256, 256
	ro.Server.AllowedOrigins = slices.Clone(devOrigins)
	return devOptions{Lobby: lo, Room: ro, DB: sqlstore.DefaultDevURL}
}

// lobbyOptions are the options dev's lobby is built from.
func (o devOptions) lobbyOptions(content *content.Bundle) lobbyOptions {
	lo := o.Lobby
	lo.Lobby.ContentVersion = content.Version()
	lo.Redis = "" // in-memory state: one replica
	return lo
}

// roomOptions are the options dev's room server is built from, for the
// lobby listening at lobbyURL.
func (o devOptions) roomOptions(lobbyURL string) roomOptions {
	ro := o.Room
	ro.Server.LobbyURLs = []string{lobbyURL}
	// The page served at the lobby URL plays over this WebSocket.
	ro.Server.AllowedOrigins = append([]string{lobbyURL}, ro.Server.AllowedOrigins...)
	return ro
}

// devSystem is a running `pantheon dev`.
type devSystem struct {
	content     *content.Bundle
	store       persistence.Store
	room        *server.Server
	lobbyURL    string
	page        *devbots.Page // the browser page and its /dev/ API on the lobby port
	lobbyAdmin  string        // bound lobby admin address, "" when off
	fleetSecret string
	lobbyDone   chan error
	stopOutbox  func()
	stopLobby   context.CancelFunc
	stopAdmin   func() // lobby admin server; a no-op when off
	closeState  func() // the lobby's state store
}

// startDev starts the whole system of o.
func startDev(ctx context.Context, o devOptions) (_ *devSystem, err error) {
	d := &devSystem{stopAdmin: func() {}, stopOutbox: func() {}}
	var closers []func()
	defer func() {
		if err != nil {
			for i := len(closers) - 1; i >= 0; i-- {
				closers[i]()
			}
		}
	}()
	if d.content = o.Content; d.content == nil {
		if d.content, err = content.Load(); err != nil {
			return nil, err
		}
	}
	if d.store, err = sqlstore.Open(ctx, o.DB); err != nil {
		return nil, fmt.Errorf("database %s: %w", o.DB, err)
	}
	closers = append(closers, func() { d.store.Close() })

	// The lobby: in-memory state, the shared database, content-checked
	// rosters, and the page on the paths outside /v1/.
	lo := o.lobbyOptions(d.content)
	lcfg, err := lo.build()
	if err != nil {
		return nil, err
	}
	d.fleetSecret = lcfg.FleetSecret
	d.page = devbots.NewPage(d.store, d.content, o.Log)
	closers = append(closers, d.page.Close)
	l, closeState, err := newLobby(lo, lcfg, d.store, d.content, d.page.Handler(), o.Log)
	if err != nil {
		return nil, err
	}
	d.closeState = closeState
	closers = append(closers, closeState)
	ln, err := net.Listen("tcp", lo.Addr)
	if err != nil {
		return nil, fmt.Errorf("lobby listen: %w", err)
	}
	d.lobbyURL = "http://" + ln.Addr().String()
	d.page.Bind(l, d.lobbyURL)
	lctx, stopLobby := context.WithCancel(context.Background())
	d.stopLobby, d.lobbyDone = stopLobby, make(chan error, 1)
	go func() { d.lobbyDone <- l.Run(lctx, ln) }()
	closers = append(closers, func() { stopLobby(); <-d.lobbyDone })
	if lo.AdminAddr != "" {
		bound, stopAdmin, err := serveLobbyAdmin(lctx, l, lo.AdminAddr, o.Log)
		if err != nil {
			return nil, err
		}
		d.lobbyAdmin, d.stopAdmin = bound, stopAdmin
		closers = append(closers, stopAdmin)
	}

	if o.NoRoom {
		return d, nil
	}
	// The room server, heartbeating into the lobby, with its outbox
	// flushing finished matches into the same database.
	ro := o.roomOptions(d.lobbyURL)
	rcfg, err := ro.build(o.Log, prometheus.NewRegistry())
	if err != nil {
		return nil, err
	}
	if d.room, d.stopOutbox, err = startRoomServer(rcfg, ro.OutboxDir, d.store, d.content); err != nil {
		return nil, err
	}
	closers = append(closers, d.stopOutbox)
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
	d.page.Close() // the page's bots first: they are clients of the rest
	var err error
	if d.room != nil {
		err = d.room.Shutdown()
	}
	d.stopAdmin()
	d.stopLobby()
	if lerr := <-d.lobbyDone; lerr != nil && err == nil {
		err = lerr
	}
	d.closeState()
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
	o := defaultDevOptions()
	run := devFlags(fs, &o)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if run.demo {
		return runDemo(ctx, run.seed, run.mode, stdout, stderr)
	}
	log, err := newLogger(stderr, run.logLevel, "text")
	if err != nil {
		fmt.Fprintln(stderr, "pantheon dev:", err)
		return 2
	}
	o.Log = log
	d, err := startDev(ctx, o)
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
  fleet secret %s  (for pantheon bench, the control API and the console)
`, d.content.Version(), d.lobbyURL, d.lobbyURL, d.lobbyURL, d.lobbyAdmin, d.room.PublicKCPAddr(), d.room.PublicWSURL(),
		d.room.AdminAddr(), o.DB, o.Room.OutboxDir, d.fleetSecret)
	if d.lobbyAdmin != "" {
		fmt.Fprintf(stdout, "  console      http://%s/console  (operator console; sign in with the fleet secret)\n", d.lobbyAdmin)
	}

	code := 0
	if run.bots > 0 {
		if _, _, err := d.playBots(ctx, run.bots, run.botMode, stdout); err != nil {
			fmt.Fprintln(stderr, "pantheon dev:", err)
			code = 1
		}
	}
	if !run.once && code == 0 {
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

// devRun is what `pantheon dev` does besides running the system: its
// start-up bots, and the demo instead of the system.
type devRun struct {
	bots     int
	botMode  string
	once     bool
	logLevel string
	demo     bool
	seed     uint64
	mode     string
}

// devFlags registers `pantheon dev`'s flags on fs: the system's, bound to
// o (with o's values as the defaults), and the run's, returned.
func devFlags(fs *flag.FlagSet, o *devOptions) *devRun {
	run := &devRun{}
	fs.StringVar(&o.Lobby.Addr, "lobby", o.Lobby.Addr, "lobby HTTP listen address")
	fs.StringVar(&o.Lobby.AdminAddr, "lobby-admin", o.Lobby.AdminAddr, "lobby admin listen address: /metrics, /debug/pprof, the operator console at /console (\"\": off)")
	fs.StringVar(&o.Room.Server.KCPAddr, "kcp", o.Room.Server.KCPAddr, "room server KCP (UDP) listen address")
	fs.StringVar(&o.Room.Server.WSAddr, "ws", o.Room.Server.WSAddr, "room server WebSocket listen address")
	fs.StringVar(&o.Room.Server.AdminAddr, "admin", o.Room.Server.AdminAddr, "room server control API, /metrics and /debug/pprof")
	fs.StringVar(&o.DB, "db", o.DB, "database URL: sqlite:PATH (embedded) or postgres://...")
	fs.StringVar(&o.Room.OutboxDir, "outbox", o.Room.OutboxDir, "directory of the durable results outbox")
	fs.Var(listFlag{&o.Lobby.Lobby.CORSOrigins}, "cors-origins", "comma-separated browser origins allowed to call the lobby from another origin (its own page always is)")
	fs.DurationVar(&o.Room.Server.RateLimitBackoff, "rate-limit-backoff", o.Room.Server.RateLimitBackoff, "how long a seat closed with rate_limited must wait before it may resume")
	fs.Var(listFlag{&o.Room.Server.AllowedOrigins}, "ws-origins", "comma-separated browser origins allowed on the room server's WebSocket (the lobby's page always is)")
	fs.IntVar(&run.bots, "bots", 2, "bots that play one match through the whole system at start-up (0: none)")
	fs.StringVar(&run.botMode, "bot-mode", "battle_1v1", "queue the start-up bots join")
	fs.BoolVar(&run.once, "once", false, "exit after the start-up bot match instead of serving")
	fs.StringVar(&run.logLevel, "log-level", "warn", "debug, info, warn or error")
	fs.BoolVar(&run.demo, "demo", false, "play one headless match of each mode on the bare simulation and exit")
	fs.Uint64Var(&run.seed, "seed", 1, "seed of the -demo matches")
	fs.StringVar(&run.mode, "mode", "", "with -demo: play only this mode")
	return run
}

// playBots plays one start-up bot match through the system once the room
// server has reached the lobby (devbots.PlayMatch).
func (d *devSystem) playBots(ctx context.Context, n int, mode string, stdout io.Writer) (bench.Report, []contract.MatchRecord, error) {
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err := d.waitReady(rctx)
	cancel()
	if err != nil {
		return bench.Report{}, nil, err
	}
	return devbots.PlayMatch(ctx, d.lobbyURL, n, mode, d.store, stdout)
}

// waitStored waits up to 30 s for the outbox to flush match id into the
// database.
func (d *devSystem) waitStored(ctx context.Context, id string) (contract.MatchRecord, error) {
	const wait = 30 * time.Second
	rec, err := devbots.WaitStored(ctx, d.store, id, wait)
	if errors.Is(err, persistence.ErrNotFound) {
		err = fmt.Errorf("match %s never reached the database in %v", id, wait)
	}
	return rec, err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// runDemo plays one headless match of each mode (or only mode) with scripted
// bots on the bare simulation and prints each result (devbots.Demo).
func runDemo(ctx context.Context, seed uint64, mode string, stdout, stderr io.Writer) int {
	c, err := content.Load()
	if err != nil {
		fmt.Fprintf(stderr, "pantheon dev: %v\n", err)
		return 1
	}
	switch err := devbots.Demo(ctx, c, seed, mode, stdout); {
	case err == nil:
		return 0
	case errors.Is(err, devbots.ErrUnknownMode):
		fmt.Fprintf(stderr, "pantheon dev: %v\n", err)
		return 2
	case ctx.Err() != nil:
		fmt.Fprintln(stderr, "pantheon dev: interrupted")
		return 130
	default:
		fmt.Fprintf(stderr, "pantheon dev: %v\n", err)
		return 1
	}
}
