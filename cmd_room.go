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
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/pantheon-oracles/pantheon/persistence/outbox"
	"github.com/pantheon-oracles/pantheon/persistence/sqlstore"
	"github.com/pantheon-oracles/pantheon/server"
	"github.com/pkg/profile"
	"github.com/prometheus/client_golang/prometheus"
)

// roomOptions configure one room server: the flags of `pantheon room`,
// parsed, and what `pantheon dev` fills with its own defaults. build turns
// them into the server's configuration, listeners included.
type roomOptions struct {
	// Server holds every setting that is a field of the server's
	// configuration as it is (addresses, limits, timeouts, FleetSecret
	// unresolved); build sets Logger, Registry, Journal and the keys.
	Server server.Config
	// TicketKey signs join tickets, at least 32 bytes, or @FILE; "" draws a
	// random per-process key.
	TicketKey string
	// KCPKey is the base64 KCP master key, or @FILE; "" leaves KCP unsealed.
	KCPKey string
	// OutboxDir is the durable results outbox, which also holds the room
	// journal.
	OutboxDir string
}

// defaultRoomOptions are `pantheon room`'s defaults: the server's own
// (server.Config.WithDefaults) and the outbox in data/outbox.
func defaultRoomOptions() roomOptions {
	cfg := server.Config{}.WithDefaults()
	cfg.Logger, cfg.Registry = nil, nil // build's, from the command
	return roomOptions{Server: cfg, OutboxDir: "data/outbox"}
}

// roomFlags registers `pantheon room`'s server flags on fs, bound to o,
// with o's values as the defaults.
func roomFlags(fs *flag.FlagSet, o *roomOptions) {
	cfg := &o.Server
	fs.StringVar(&cfg.ServerID, "server-id", cfg.ServerID, "name of this room server (heartbeats, match records)")
	fs.StringVar(&cfg.Region, "region", cfg.Region, "region reported to the lobby")
	fs.StringVar(&cfg.KCPAddr, "kcp", cfg.KCPAddr, "UDP listen address for KCP clients")
	fs.StringVar(&cfg.WSAddr, "ws", cfg.WSAddr, "TCP listen address for WebSocket clients (path /v1/play)")
	fs.StringVar(&cfg.AdminAddr, "admin", cfg.AdminAddr, "TCP listen address of the control API, /metrics and /debug/pprof")
	fs.StringVar(&cfg.PublicKCPAddr, "public-kcp", cfg.PublicKCPAddr, "KCP address advertised to players (default: the bound -kcp address)")
	fs.StringVar(&cfg.PublicWSURL, "public-ws", cfg.PublicWSURL, "WebSocket URL advertised to players (default: ws://<bound -ws>/v1/play)")
	fs.StringVar(&cfg.PublicControlURL, "public-control", cfg.PublicControlURL, "control URL advertised to the lobby (default: http://<bound -admin>)")
	fs.IntVar(&cfg.ConnsPerIP, "conns-per-ip", cfg.ConnsPerIP, "TCP connections one IP may hold open on the WebSocket port, and on the admin port")
	fs.IntVar(&cfg.PendingPerAddr, "pending-per-addr", cfg.PendingPerAddr, "sessions of one IP waiting for their hello, per listener")
	fs.IntVar(&cfg.PendingPerPrefix, "pending-per-prefix", cfg.PendingPerPrefix, "sessions of one /24 or /64 waiting for their hello, per listener")
	fs.DurationVar(&cfg.HelloTimeout, "hello-timeout", cfg.HelloTimeout, "time a new session has to send its hello; also the WebSocket port's HTTP idle timeout")
	fs.Var(listFlag{&cfg.AllowedOrigins}, "ws-origins", "comma-separated browser origins allowed on WebSocket: exact (https://play.example.com), any port (http://localhost:*) or \"*\" for any; others get 403 origin_not_allowed")
	fs.StringVar(&o.TicketKey, "ticket-key", o.TicketKey, "join ticket signing key, at least 32 bytes, or @FILE (default: random per process)")
	fs.StringVar(&cfg.FleetSecret, "fleet-secret", cfg.FleetSecret, "bearer secret shared with the lobby, at least 32 bytes, or @FILE; prefer PANTHEON_FLEET_SECRET (required)")
	fs.StringVar(&o.KCPKey, "kcp-key", o.KCPKey, "base64 AES key (16, 24 or 32 bytes), or @FILE, turning on KCP AES-GCM (default off)")
	fs.Var(listFlag{&cfg.LobbyURLs}, "lobby", "comma-separated lobby base URLs (http or https), each heartbeated independently; a malformed one stops the server at start-up (default: no heartbeats)")
	fs.DurationVar(&cfg.Heartbeat, "heartbeat", cfg.Heartbeat, "heartbeat interval")
	fs.IntVar(&cfg.MaxRooms, "max-rooms", cfg.MaxRooms, "rooms hosted at most")
	fs.IntVar(&cfg.Shards, "shards", cfg.Shards, "scheduler goroutines stepping rooms (0: GOMAXPROCS)")
	fs.Var(modeIntsFlag{&cfg.TickRates}, "tick-rate", "clock rate overrides, e.g. raid=30,ritual=60 (Hz, 10..120)")
	fs.IntVar(&cfg.MaxCatchUp, "max-catch-up", cfg.MaxCatchUp, "ticks a room runs at most in one go after a stall")
	fs.DurationVar(&cfg.WaitDeadline, "wait-deadline", cfg.WaitDeadline, "how long a room waits for its players")
	fs.Var(modeDurationsFlag{&cfg.Grace}, "grace", "seat hold after a drop per mode, e.g. raid=60s,battle_1v1=15s")
	fs.DurationVar(&cfg.DefaultGrace, "default-grace", cfg.DefaultGrace, "seat hold after a drop for modes not in -grace")
	fs.DurationVar(&cfg.TicketTTL, "ticket-ttl", cfg.TicketTTL, "lifetime of issued join tickets")
	fs.IntVar(&cfg.InboxSize, "inbox", cfg.InboxSize, "per-connection input queue (inputs)")
	fs.Float64Var(&cfg.InputsPerTick, "inputs-per-tick", cfg.InputsPerTick, "new inputs a connection may send per tick of its room, sustained")
	fs.IntVar(&cfg.InputBurst, "input-burst", cfg.InputBurst, "input rate limiter burst")
	fs.IntVar(&cfg.FloodLimit, "flood-limit", cfg.FloodLimit, "how far rate-limited inputs may outnumber accepted ones before a connection is closed")
	fs.DurationVar(&cfg.RateLimitBackoff, "rate-limit-backoff", cfg.RateLimitBackoff, "how long a seat closed with rate_limited must wait before it may resume")
	fs.IntVar(&cfg.LogQueue, "log-queue", cfg.LogQueue, "log records queued for the logger goroutine; more are dropped and counted")
	fs.IntVar(&cfg.SlowConsumerTicks, "slow-consumer-ticks", cfg.SlowConsumerTicks, "ticks a snapshot may stay untaken before slow_consumer")
	fs.DurationVar(&cfg.DrainTimeout, "drain-timeout", cfg.DrainTimeout, "how long a drain lets rooms finish before aborting them")
	fs.DurationVar(&cfg.FlushTimeout, "flush-timeout", cfg.FlushTimeout, "how long a drain waits for results to reach the outbox")
	fs.StringVar(&o.OutboxDir, "outbox", o.OutboxDir, "directory of the durable results outbox (and of the room journal, "+roomJournalFile+")")
	fs.DurationVar(&cfg.ResultWait, "result-wait", cfg.ResultWait, "how long a finished match's clients wait for its result to be durable before they are told result_pending")
}

// build returns the room server's configuration: o's settings with the
// secrets resolved (@FILE), the ticket key (random when none is given) and
// KCP key decoded, the journal in the outbox, and log and reg; validated.
func (o roomOptions) build(log *slog.Logger, reg *prometheus.Registry) (server.Config, error) {
	cfg := o.Server
	if err := resolveSecrets(map[string]*string{"ticket-key": &o.TicketKey, "fleet-secret": &cfg.FleetSecret, "kcp-key": &o.KCPKey}); err != nil {
		return cfg, err
	}
	cfg.Logger, cfg.Registry = log, reg
	cfg.TicketKey = roomTicketKey(o.TicketKey, log)
	if o.KCPKey != "" {
		key, err := base64.StdEncoding.DecodeString(o.KCPKey)
		if err != nil {
			return cfg, fmt.Errorf("-kcp-key: %w", err)
		}
		cfg.KCPKey = key
	}
	cfg.Journal = filepath.Join(o.OutboxDir, roomJournalFile)
	return cfg, cfg.WithDefaults().Validate()
}

// startRoomServer opens the outbox in outboxDir flushing into store and
// creates the room server of cfg (built by roomOptions.build) on it.
// stopOutbox, once the server has stopped, flushes (for up to
// cfg.FlushTimeout) and closes the outbox.
func startRoomServer(cfg server.Config, outboxDir string, store persistence.Store, content *content.Bundle) (srv *server.Server, stopOutbox func(), err error) {
	ob, stopOutbox, err := startOutbox(outboxDir, store, cfg.Registry, cfg.Logger, cfg.FlushTimeout)
	if err != nil {
		return nil, nil, fmt.Errorf("outbox %s: %w", outboxDir, err)
	}
	if srv, err = server.New(cfg, content, ob); err != nil {
		stopOutbox()
		return nil, nil, err
	}
	return srv, stopOutbox, nil
}

// runRoom runs a room server until ctx is cancelled (SIGINT/SIGTERM), then
// drains it. Every flag can also be set through the environment as
// PANTHEON_<FLAG> (upper case, dashes as underscores); a flag on the
// command line wins.
func runRoom(ctx context.Context, args []string, _, stderr io.Writer) int {
	fs := flag.NewFlagSet("pantheon room", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := defaultRoomOptions()
	var dbURL, profMode, profDir, logLevel, logFormat string
	roomFlags(fs, &o)
	fs.StringVar(&dbURL, "db", sqlstore.DefaultDevURL, "results store: postgres://... or sqlite:PATH")
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
	cfg, err := o.build(log, prometheus.NewRegistry())
	if err != nil {
		return fail(err)
	}

	if stop, err := startProfile(profMode, profDir); err != nil {
		return fail(err)
	} else if stop != nil {
		defer stop()
	}

	bundle, err := content.Load()
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
	srv, stopOutbox, err := startRoomServer(cfg, o.OutboxDir, store, bundle)
	if err != nil {
		return fail(err)
	}
	defer stopOutbox()
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
func roomTicketKey(s string, log *slog.Logger) []byte {
	if s != "" {
		return []byte(s)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails (Go 1.24+)
	log.Info("no -ticket-key given; signing join tickets with a random per-process key")
	return key
}

// newLogger is every command's logger: text or JSON on w at level, with
// durations written as Go duration strings ("1.5s", "250ms") in both
// formats (slog's JSON handler would write integer nanoseconds).
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("-log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: durationsAsStrings}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("-log-format %q: want text or json", format)
}

// durationsAsStrings is newLogger's ReplaceAttr: a time.Duration value
// becomes its String().
func durationsAsStrings(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		a.Value = slog.StringValue(a.Value.Duration().String())
	}
	return a
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

// listFlag is a comma-separated list flag (splitList); an empty value is
// an empty list.
type listFlag struct{ p *[]string }

func (f listFlag) String() string {
	if f.p == nil {
		return ""
	}
	return strings.Join(*f.p, ",")
}

func (f listFlag) Set(s string) error { *f.p = splitList(s); return nil }

// modeIntsFlag is a "mode=n,mode=n" flag (parseModeInts).
type modeIntsFlag struct{ p *map[string]int }

func (f modeIntsFlag) String() string {
	if f.p == nil {
		return ""
	}
	return formatModeList(*f.p)
}

func (f modeIntsFlag) Set(s string) (err error) { *f.p, err = parseModeInts(s); return err }

// modeDurationsFlag is a "mode=dur,mode=dur" flag (parseModeDurations).
type modeDurationsFlag struct{ p *map[string]time.Duration }

func (f modeDurationsFlag) String() string {
	if f.p == nil {
		return ""
	}
	return formatModeList(*f.p)
}

func (f modeDurationsFlag) Set(s string) (err error) { *f.p, err = parseModeDurations(s); return err }

// formatModeList writes m as "mode=v,mode=v", modes sorted.
func formatModeList[V any](m map[string]V) string {
	parts := make([]string, 0, len(m))
	for mode, v := range m {
		parts = append(parts, fmt.Sprintf("%s=%v", mode, v))
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
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
