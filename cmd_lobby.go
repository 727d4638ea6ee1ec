package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/lobby"
	"github.com/pantheon-oracles/pantheon/lobby/auth"
	"github.com/pantheon-oracles/pantheon/lobby/store"
	"github.com/pantheon-oracles/pantheon/persistence/sqlstore"
	"github.com/redis/go-redis/v9"
)

// envOr returns the environment variable name, or def when it is unset.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// envDuration is envOr for durations; a malformed value falls back to def
// and is reported by the flag's own validation later.
func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

// runLobby runs the lobby HTTP API: `pantheon lobby [flags]`. Every flag
// has an environment variable; flags win.
func runLobby(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lobby", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr("PANTHEON_LOBBY_ADDR", "127.0.0.1:8080"), "listen address (env PANTHEON_LOBBY_ADDR)")
	adminAddr := fs.String("admin-addr", envOr("PANTHEON_LOBBY_ADMIN_ADDR", "127.0.0.1:8081"), "private listen address of /metrics and /debug/pprof; keep it off the public network; empty disables (env PANTHEON_LOBBY_ADMIN_ADDR)")
	jwtKey := fs.String("jwt-key", os.Getenv("PANTHEON_JWT_KEY"), "access-token HS256 key, at least 32 bytes, shared by replicas, or @FILE (env PANTHEON_JWT_KEY; required)")
	fleetSecret := fs.String("fleet-secret", os.Getenv("PANTHEON_FLEET_SECRET"), "secret shared with room servers, at least 32 bytes, or @FILE (env PANTHEON_FLEET_SECRET; required)")
	dbURL := fs.String("db", envOr("PANTHEON_DB", sqlstore.DefaultDevURL), "database URL: postgres://... or sqlite:PATH (env PANTHEON_DB)")
	redisURL := fs.String("redis", os.Getenv("PANTHEON_REDIS_URL"), "Redis URL to share state between replicas; empty keeps state in memory (env PANTHEON_REDIS_URL)")
	redisPrefix := fs.String("redis-prefix", envOr("PANTHEON_REDIS_PREFIX", "pantheon:"), "key prefix in Redis (env PANTHEON_REDIS_PREFIX)")
	corsOrigins := fs.String("cors-origins", os.Getenv("PANTHEON_CORS_ORIGINS"), "comma-separated browser origins allowed to call the API from another origin: exact (https://play.example.com), any port (http://localhost:*) or \"*\"; others get 403 origin_not_allowed (env PANTHEON_CORS_ORIGINS)")
	proxies := fs.String("trusted-proxies", os.Getenv("PANTHEON_TRUSTED_PROXIES"), "comma-separated CIDRs whose X-Forwarded-For is trusted (env PANTHEON_TRUSTED_PROXIES)")
	devSecret := fs.String("dev-provider-secret", os.Getenv("PANTHEON_DEV_PROVIDER_SECRET"), "enables the development identity provider with this HMAC secret, or @FILE; never in production (env PANTHEON_DEV_PROVIDER_SECRET)")
	replica := fs.String("replica-id", os.Getenv("PANTHEON_REPLICA_ID"), "this replica's name in leases and logs; default random (env PANTHEON_REPLICA_ID)")
	contentVersion := fs.String("content-version", os.Getenv("PANTHEON_CONTENT_VERSION"), "only allocate on room servers running this content version; empty: any (env PANTHEON_CONTENT_VERSION)")
	accessTTL := fs.Duration("access-ttl", envDuration("PANTHEON_ACCESS_TTL", 15*time.Minute), "access-token lifetime (env PANTHEON_ACCESS_TTL)")
	refreshTTL := fs.Duration("refresh-ttl", envDuration("PANTHEON_REFRESH_TTL", 30*24*time.Hour), "refresh-token family lifetime (env PANTHEON_REFRESH_TTL)")
	heartbeatTTL := fs.Duration("heartbeat-ttl", envDuration("PANTHEON_HEARTBEAT_TTL", 6*time.Second), "drop a room server after this long without a heartbeat (env PANTHEON_HEARTBEAT_TTL)")
	pass := fs.Duration("pass-interval", envDuration("PANTHEON_PASS_INTERVAL", 250*time.Millisecond), "time between matchmaking passes (env PANTHEON_PASS_INTERVAL)")
	assignDeadline := fs.Duration("assign-deadline", envDuration("PANTHEON_ASSIGN_DEADLINE", 30*time.Second), "requeue (or fail, past the ticket TTL) tickets claimed this long without a room (env PANTHEON_ASSIGN_DEADLINE)")
	capacityRetry := fs.Duration("capacity-retry", envDuration("PANTHEON_CAPACITY_RETRY", 2*time.Second), "while no room server can take matches and the registry is unchanged, try again after this long (env PANTHEON_CAPACITY_RETRY)")
	queueCap := fs.Int("queue-cap", envInt("PANTHEON_QUEUE_CAP", 50_000), "most tickets per mode queue; more get 429 (env PANTHEON_QUEUE_CAP)")
	connsPerIP := fs.Int("conns-per-ip", envInt("PANTHEON_CONNS_PER_IP", 256), "TCP connections one client IP may hold open on --addr; trusted proxies exempt (env PANTHEON_CONNS_PER_IP)")
	dbTimeout := fs.Duration("db-timeout", envDuration("PANTHEON_DB_TIMEOUT", 300*time.Millisecond), "bound on each ratings or roster read from the database; slower or failed reads are answered from the lobby's cache (env PANTHEON_DB_TIMEOUT)")
	dbRetry := fs.Duration("db-retry", envDuration("PANTHEON_DB_RETRY", time.Second), "after a failed database read, answer ratings and rosters from the cache alone for this long (env PANTHEON_DB_RETRY)")
	dbCache := fs.Int("db-cache-entries", envInt("PANTHEON_DB_CACHE_ENTRIES", 100_000), "most ratings, and most rosters, the lobby caches for database outages (env PANTHEON_DB_CACHE_ENTRIES)")
	maxBody := fs.Int("max-body", envInt("PANTHEON_MAX_BODY", 64<<10), "request body limit in bytes (env PANTHEON_MAX_BODY)")
	perIP := limitFlag{store.Limit{Rate: 20, Burst: 40}}
	loginPerIP := limitFlag{store.Limit{Rate: 2, Burst: 10}}
	fs.Var(&perIP, "limit-per-ip", "requests per second from one client IP, as RATE/BURST (env PANTHEON_LIMIT_PER_IP)")
	fs.Var(&loginPerIP, "limit-login-per-ip", "logins and refreshes per second from one client IP, as RATE/BURST; raise it to load-test logins from one machine (env PANTHEON_LIMIT_LOGIN_PER_IP)")
	for name, f := range map[string]*limitFlag{"PANTHEON_LIMIT_PER_IP": &perIP, "PANTHEON_LIMIT_LOGIN_PER_IP": &loginPerIP} {
		if v := os.Getenv(name); v != "" {
			if err := f.Set(v); err != nil {
				fmt.Fprintf(stderr, "pantheon lobby: %s: %v\n", name, err)
				return 2
			}
		}
	}
	healthInterval := fs.Duration("health-interval", envDuration("PANTHEON_HEALTH_INTERVAL", time.Second), "how often the state store and the database are pinged, to log an outage once when it starts and once when it ends (env PANTHEON_HEALTH_INTERVAL)")
	logLevel := fs.String("log-level", envOr("PANTHEON_LOG_LEVEL", "info"), "debug, info, warn or error (env PANTHEON_LOG_LEVEL)")
	logFormat := fs.String("log-format", envOr("PANTHEON_LOG_FORMAT", "text"), "text or json (env PANTHEON_LOG_FORMAT)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := resolveSecrets(map[string]*string{"jwt-key": jwtKey, "fleet-secret": fleetSecret, "dev-provider-secret": devSecret}); err != nil {
		fmt.Fprintln(stderr, "pantheon lobby:", err)
		return 2
	}
	log, err := newLogger(stderr, *logLevel, *logFormat)
	if err != nil {
		fmt.Fprintf(stderr, "pantheon lobby: %v\n", err)
		return 2
	}
	// go-redis logs every failed dial itself; the health loop logs a Redis
	// outage once, so the library's lines are detail, at debug level.
	redis.SetLogger(redisLogger{log: log})
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "pantheon lobby: "+format+"\n", a...)
		return 1
	}

	cfg := lobby.Config{
		ReplicaID:      *replica,
		Auth:           auth.Config{Key: []byte(*jwtKey), AccessTTL: *accessTTL},
		RefreshTTL:     *refreshTTL,
		FleetSecret:    *fleetSecret,
		HeartbeatTTL:   *heartbeatTTL,
		PassInterval:   *pass,
		AssignDeadline: *assignDeadline,
		CapacityRetry:  *capacityRetry,
		QueueCap:       *queueCap,
		MaxBodyBytes:   int64(*maxBody),
		ConnsPerIP:     *connsPerIP,
		ContentVersion: *contentVersion,
		DBTimeout:      *dbTimeout,
		DBRetry:        *dbRetry,
		DBCacheEntries: *dbCache,
		HealthInterval: *healthInterval,
		Limits:         lobby.Limits{PerIP: perIP.Limit, LoginPerIP: loginPerIP.Limit},
		CORSOrigins:    splitList(*corsOrigins),
	}
	for _, c := range strings.Split(*proxies, ",") {
		if c = strings.TrimSpace(c); c == "" {
			continue
		}
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return fail("--trusted-proxies: %v", err)
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, p)
	}
	if err := cfg.Validate(); err != nil {
		return fail("%v", err)
	}

	content, err := ecs.LoadContent()
	if err != nil {
		return fail("content: %v", err)
	}
	db, err := sqlstore.Open(ctx, *dbURL)
	if err != nil {
		return fail("database: %v", err)
	}
	defer db.Close()

	var st store.Store
	if *redisURL != "" {
		// A Redis that does not answer yet is not fatal: the health loop
		// logs it down at once, requests needing it get 503, and the lobby
		// recovers by itself when it answers.
		rs, err := store.NewRedis(store.RedisConfig{URL: *redisURL, Prefix: *redisPrefix})
		if err != nil {
			return fail("redis: %v", err)
		}
		st = rs
	} else {
		st = store.NewMemory(store.MemoryConfig{})
	}
	defer st.Close()

	var providers []auth.Provider
	if *devSecret != "" {
		log.Warn("the development identity provider is enabled")
		providers = append(providers, auth.DevProvider{Secret: []byte(*devSecret)})
	}
	cc, err := newClientContent(content)
	if err != nil {
		return fail("content: %v", err)
	}
	l, err := lobby.New(cfg, lobby.Deps{
		Store: st, Accounts: db, Refresh: db, Rosters: db, Ratings: db, Database: db,
		Modes: content.Modes(), Validator: contentValidator(content), Content: cc,
		Providers: providers,
		Log:       log,
	})
	if err != nil {
		return fail("%v", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fail("listen: %v", err)
	}
	if *adminAddr != "" {
		bound, stopAdmin, err := serveLobbyAdmin(ctx, l, *adminAddr, log)
		if err != nil {
			_ = ln.Close()
			return fail("%v", err)
		}
		defer stopAdmin()
		fmt.Fprintf(stdout, "pantheon lobby: metrics on http://%s/metrics\n", bound)
	}
	fmt.Fprintf(stdout, "pantheon lobby: listening on http://%s (state: %s, db: %s, content %s)\n",
		ln.Addr(), map[bool]string{true: "redis", false: "memory"}[*redisURL != ""], redactURL(*dbURL), content.Version())
	if err := l.Run(ctx, ln); err != nil {
		return fail("%v", err)
	}
	return 0
}

// redisLogger routes go-redis's own log lines (redis.SetLogger: dial
// failures, pool events) through slog at debug level, tagged
// component=go-redis.
type redisLogger struct{ log *slog.Logger }

// Printf implements go-redis's internal.Logging.
func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	if ctx == nil {
		ctx = context.Background()
	}
	r.log.DebugContext(ctx, strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: "), "component", "go-redis")
}

// serveLobbyAdmin serves the lobby's /metrics and /debug/pprof on addr
// until stop is called (or ctx ends) and returns the bound address.
func serveLobbyAdmin(ctx context.Context, l *lobby.Lobby, addr string, log *slog.Logger) (bound string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("listen admin: %w", err)
	}
	actx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := l.ServeAdmin(actx, ln); err != nil {
			log.Error("admin server stopped; /metrics is unavailable", "err", err)
		}
	}()
	return ln.Addr().String(), func() { cancel(); <-done }, nil
}

// contentValidator checks roster oracles against the game content.
func contentValidator(c *ecs.Content) lobby.RosterValidator {
	return lobby.RosterValidatorFunc(func(o contract.Oracle) error {
		return c.ValidateOracle(ecs.OracleSpec{Archetype: o.Archetype, Role: o.Role, Loadout: o.Loadout, Pet: o.Pet, Form: o.Form, Totem: o.Totem})
	})
}

// limitFlag is a rate limit given as RATE/BURST (e.g. 20/40) on the
// command line.
type limitFlag struct{ store.Limit }

func (f *limitFlag) String() string { return fmt.Sprintf("%g/%d", f.Rate, f.Burst) }

func (f *limitFlag) Set(s string) error {
	r, b, ok := strings.Cut(s, "/")
	rate, err := strconv.ParseFloat(r, 64)
	if !ok || err != nil || rate <= 0 {
		return fmt.Errorf("%q: want RATE/BURST with RATE > 0, e.g. 20/40", s)
	}
	burst, err := strconv.Atoi(b)
	if err != nil || burst < 1 {
		return fmt.Errorf("%q: want RATE/BURST with BURST >= 1, e.g. 20/40", s)
	}
	f.Limit = store.Limit{Rate: rate, Burst: burst}
	return nil
}

// redactURL hides a password in a database URL for logging.
func redactURL(u string) string {
	if i := strings.Index(u, "@"); i >= 0 {
		if j := strings.Index(u, "://"); j >= 0 && j < i {
			return u[:j+3] + "***" + u[i:]
		}
	}
	return u
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
