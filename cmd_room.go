package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/pantheon-oracles/pantheon/persistence/outbox"
	"github.com/pantheon-oracles/pantheon/persistence/sqlstore"
	"github.com/pantheon-oracles/pantheon/server"
	"github.com/pkg/profile"
	"github.com/prometheus/client_golang/prometheus"
)

// runRoom runs a room server until ctx is cancelled (SIGINT/SIGTERM), then
// drains it. Every flag can also be set through the environment as
// PANTHEON_<FLAG> (upper case, dashes as underscores); a flag on the
// command line wins.
func runRoom(ctx context.Context, args []string, _, stderr io.Writer) int {
	fs := flag.NewFlagSet("pantheon room", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg                     server.Config
		ticketKey, kcpKey       string
		tickRates, graces       string
		origins                 string
		dbURL, outboxDir        string
		profMode, profDir       string
		logLevel, logFormat     string
		waitDeadline, ticketTTL time.Duration
	)
	fs.StringVar(&cfg.ServerID, "server-id", "room-1", "name of this room server (heartbeats, match records)")
	fs.StringVar(&cfg.Region, "region", "local", "region reported to the lobby")
	fs.StringVar(&cfg.KCPAddr, "kcp", "127.0.0.1:7000", "UDP listen address for KCP clients")
	fs.StringVar(&cfg.WSAddr, "ws", "127.0.0.1:7001", "TCP listen address for WebSocket clients (path /v1/play)")
	fs.StringVar(&cfg.AdminAddr, "admin", "127.0.0.1:7002", "TCP listen address of the control API, /metrics and /debug/pprof")
	fs.StringVar(&cfg.PublicKCPAddr, "public-kcp", "", "KCP address advertised to players (default: the bound -kcp address)")
	fs.StringVar(&cfg.PublicWSURL, "public-ws", "", "WebSocket URL advertised to players (default: ws://<bound -ws>/v1/play)")
	fs.StringVar(&cfg.PublicControlURL, "public-control", "", "control URL advertised to the lobby (default: http://<bound -admin>)")
	fs.IntVar(&cfg.ConnsPerIP, "conns-per-ip", 64, "TCP connections one IP may hold open on the WebSocket port, and on the admin port")
	fs.IntVar(&cfg.PendingPerAddr, "pending-per-addr", 8, "sessions of one IP waiting for their hello, per listener")
	fs.IntVar(&cfg.PendingPerPrefix, "pending-per-prefix", 32, "sessions of one /24 or /64 waiting for their hello, per listener")
	fs.DurationVar(&cfg.HelloTimeout, "hello-timeout", 3*time.Second, "time a new session has to send its hello; also the WebSocket port's HTTP idle timeout")
	fs.StringVar(&origins, "ws-origins", "", "comma-separated browser origins allowed on WebSocket: exact (https://play.example.com), any port (http://localhost:*) or \"*\" for any; others get 403 origin_not_allowed")
	fs.StringVar(&ticketKey, "ticket-key", "", "join ticket signing key, at least 32 bytes, or @FILE (default: random per process)")
	fs.StringVar(&cfg.FleetSecret, "fleet-secret", "", "bearer secret shared with the lobby, at least 32 bytes, or @FILE; prefer PANTHEON_FLEET_SECRET (required)")
	fs.StringVar(&kcpKey, "kcp-key", "", "base64 AES key (16, 24 or 32 bytes), or @FILE, turning on KCP AES-GCM (default off)")
	fs.StringVar(&cfg.LobbyURL, "lobby", "", "lobby base URL for heartbeats (default: no heartbeats)")
	fs.DurationVar(&cfg.Heartbeat, "heartbeat", 2*time.Second, "heartbeat interval")
	fs.IntVar(&cfg.MaxRooms, "max-rooms", 256, "rooms hosted at most")
	fs.IntVar(&cfg.Shards, "shards", 0, "scheduler goroutines stepping rooms (0: GOMAXPROCS)")
	fs.StringVar(&tickRates, "tick-rate", "", "clock rate overrides, e.g. raid=30,ritual=60 (Hz, 10..120)")
	fs.IntVar(&cfg.MaxCatchUp, "max-catch-up", 4, "ticks a room runs at most in one go after a stall")
	fs.DurationVar(&waitDeadline, "wait-deadline", 60*time.Second, "how long a room waits for its players")
	fs.StringVar(&graces, "grace", "", "seat hold after a drop per mode, e.g. raid=60s,battle_1v1=15s")
	fs.DurationVar(&cfg.DefaultGrace, "default-grace", 30*time.Second, "seat hold after a drop for modes not in -grace")
	fs.DurationVar(&ticketTTL, "ticket-ttl", 5*time.Minute, "lifetime of issued join tickets")
	fs.IntVar(&cfg.InboxSize, "inbox", 64, "per-connection input queue (inputs)")
	fs.Float64Var(&cfg.InputsPerTick, "inputs-per-tick", 1.5, "new inputs a connection may send per tick of its room, sustained")
	fs.IntVar(&cfg.InputBurst, "input-burst", 30, "input rate limiter burst")
	fs.IntVar(&cfg.FloodLimit, "flood-limit", 150, "how far rate-limited inputs may outnumber accepted ones before a connection is closed")
	fs.IntVar(&cfg.LogQueue, "log-queue", 4096, "log records queued for the logger goroutine; more are dropped and counted")
	fs.IntVar(&cfg.SlowConsumerTicks, "slow-consumer-ticks", 60, "ticks a snapshot may stay untaken before slow_consumer")
	fs.DurationVar(&cfg.DrainTimeout, "drain-timeout", 5*time.Minute, "how long a drain lets rooms finish before aborting them")
	fs.DurationVar(&cfg.FlushTimeout, "flush-timeout", 30*time.Second, "how long a drain waits for results to reach the outbox")
	fs.StringVar(&dbURL, "db", sqlstore.DefaultDevURL, "results store: postgres://... or sqlite:PATH")
	fs.StringVar(&outboxDir, "outbox", "data/outbox", "directory of the durable results outbox (and of the room journal, "+roomJournalFile+")")
	fs.DurationVar(&cfg.ResultWait, "result-wait", 10*time.Second, "how long a finished match's clients wait for its result to be durable before they are told result_pending")
	fs.StringVar(&profMode, "profile", "", "write a profile while running: cpu, mem or trace")
	fs.StringVar(&profDir, "profile-dir", ".", "directory for -profile output")
	fs.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&logFormat, "log-format", "text", "text or json")
	if err := envDefaults(fs); err != nil {
		fmt.Fprintln(stderr, "pantheon room:", err)
		return 2
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "pantheon room:", err)
		return 1
	}
	log, err := newLogger(stderr, logLevel, logFormat)
	if err != nil {
		return fail(err)
	}
	if err := resolveSecrets(map[string]*string{"ticket-key": &ticketKey, "fleet-secret": &cfg.FleetSecret, "kcp-key": &kcpKey}); err != nil {
		return fail(err)
	}
	cfg.Logger, cfg.WaitDeadline, cfg.TicketTTL = log, waitDeadline, ticketTTL
	cfg.AllowedOrigins = splitList(origins)
	if cfg.TicketKey, err = roomTicketKey(ticketKey, log); err != nil {
		return fail(err)
	}
	if kcpKey != "" {
		if cfg.KCPKey, err = base64.StdEncoding.DecodeString(kcpKey); err != nil {
			return fail(fmt.Errorf("-kcp-key: %w", err))
		}
	}
	if cfg.TickRates, err = parseModeInts(tickRates); err != nil {
		return fail(fmt.Errorf("-tick-rate: %w", err))
	}
	if cfg.Grace, err = parseModeDurations(graces); err != nil {
		return fail(fmt.Errorf("-grace: %w", err))
	}
	if err := cfg.WithDefaults().Validate(); err != nil {
		return fail(err)
	}

	if stop, err := startProfile(profMode, profDir); err != nil {
		return fail(err)
	} else if stop != nil {
		defer stop()
	}

	content, err := ecs.LoadContent()
	if err != nil {
		return fail(err)
	}
	// Room servers must start and keep ticking while the database is down:
	// results wait in the outbox, so the schema is not checked here.
	store, err := sqlstore.OpenConfig(ctx, sqlstore.Config{URL: dbURL, SkipSchemaCheck: true})
	if err != nil {
		return fail(err)
	}
	defer store.Close()
	cfg.Registry = prometheus.NewRegistry()
	ob, stopOutbox, err := startOutbox(outboxDir, store, cfg.Registry, log, cfg.FlushTimeout)
	if err != nil {
		return fail(err)
	}
	defer stopOutbox()

	cfg.Journal = filepath.Join(outboxDir, roomJournalFile)
	srv, err := server.New(cfg, content, ob)
	if err != nil {
		return fail(err)
	}
	if err := srv.Run(ctx); err != nil {
		return fail(err)
	}
	return 0
}

// roomJournalFile is the room journal's file name in the outbox directory.
const roomJournalFile = "rooms.journal"

// startOutbox opens the durable results outbox in dir and starts its
// flusher into store. stop, called once the room server has handed over its
// last result, gives the flusher up to flushWait to empty the outbox, then
// stops it and closes the outbox; what was not flushed by then stays on
// disk and is flushed by the next start.
func startOutbox(dir string, store persistence.Store, reg prometheus.Registerer, log *slog.Logger, flushWait time.Duration) (ob *outbox.Outbox, stop func(), err error) {
	ob, err = outbox.Open(outbox.Config{Dir: dir, Registerer: reg, Logger: log}, store)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	flushed := make(chan error, 1)
	go func() { flushed <- ob.Run(ctx) }()
	return ob, func() {
		deadline := time.Now().Add(flushWait)
		for n, _ := ob.Pending(); n > 0 && time.Now().Before(deadline); n, _ = ob.Pending() {
			time.Sleep(50 * time.Millisecond)
		}
		if n, _ := ob.Pending(); n > 0 {
			log.Warn("results left in the outbox for the next start", "records", n, "dir", dir)
		}
		cancel()
		if err := <-flushed; err != nil && !errors.Is(err, context.Canceled) {
			log.Error("outbox flusher stopped", "err", err)
		}
		ob.Close()
	}, nil
}

// envDefaults sets each flag of fs from PANTHEON_<NAME> when that is set,
// so the command line still wins.
func envDefaults(fs *flag.FlagSet) error { return envPrefixDefaults(fs, "PANTHEON_") }

// envPrefixDefaults sets each flag of fs from <prefix><NAME> (upper case,
// dashes as underscores) when that variable is set.
func envPrefixDefaults(fs *flag.FlagSet, prefix string) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		name := prefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok && err == nil {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s: %w", name, e)
			}
		}
	})
	return err
}

// roomTicketKey returns the configured key, or a random one: tickets are
// issued and checked by this process only, so a per-process key works
// unless several processes must accept each other's tickets.
func roomTicketKey(s string, log *slog.Logger) ([]byte, error) {
	if s != "" {
		return []byte(s), nil
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails (Go 1.24+)
	log.Info("no -ticket-key given; signing join tickets with a random per-process key")
	return key, nil
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("-log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("-log-format %q: want text or json", format)
}

// startProfile starts pkg/profile in mode ("" for none) and returns its stop.
func startProfile(mode, dir string) (func(), error) {
	var opt func(*profile.Profile)
	switch mode {
	case "":
		return nil, nil
	case "cpu":
		opt = profile.CPUProfile
	case "mem":
		opt = profile.MemProfile
	case "trace":
		opt = profile.TraceProfile
	default:
		return nil, fmt.Errorf("-profile %q: want cpu, mem or trace", mode)
	}
	p := profile.Start(opt, profile.ProfilePath(dir), profile.NoShutdownHook)
	return p.Stop, nil
}

// parseModeInts parses "mode=n,mode=n".
func parseModeInts(s string) (map[string]int, error) {
	out := map[string]int{}
	err := parseModeList(s, func(mode, v string) error {
		n, err := strconv.Atoi(v)
		out[mode] = n
		return err
	})
	return out, err
}

// parseModeDurations parses "mode=dur,mode=dur".
func parseModeDurations(s string) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	err := parseModeList(s, func(mode, v string) error {
		d, err := time.ParseDuration(v)
		out[mode] = d
		return err
	})
	return out, err
}

func parseModeList(s string, set func(mode, v string) error) error {
	if s == "" {
		return nil
	}
	for _, kv := range strings.Split(s, ",") {
		mode, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return errors.New("want mode=value pairs separated by commas")
		}
		if err := set(mode, v); err != nil {
			return fmt.Errorf("%s: %w", mode, err)
		}
	}
	return nil
}
