package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/lobby"
	"github.com/pantheon-oracles/pantheon/lobby/auth"
	"github.com/pantheon-oracles/pantheon/lobby/store"
	"github.com/pantheon-oracles/pantheon/persistence"
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

// lobbyOptions configure one lobby replica: the flags of `pantheon
// lobby`, parsed, and what `pantheon dev` fills with its own defaults.
// build turns them into the lobby's configuration, newLobby into a lobby
// with its state store.
type lobbyOptions struct {
	// Lobby holds every setting that is a field of the lobby's
	// configuration as it is (FleetSecret unresolved); build sets the
	// access-token key and the trusted proxies.
	Lobby lobby.Config
	// Addr is the public listen address, AdminAddr the private one of
	// /metrics and /debug/pprof ("": none).
	Addr, AdminAddr string
	// JWTKey signs access tokens, DevProviderSecret turns on the
	// development identity provider ("": off); each the secret or @FILE.
	JWTKey, DevProviderSecret string
	// TrustedProxies are comma-separated CIDRs whose X-Forwarded-For is
	// believed.
	TrustedProxies string
	// Steam configures the Steam provider (Key may be @FILE); it is on
	// when Key or AppID is set, and then needs both.
	Steam auth.SteamConfig
	// GoogleClientIDs and AppleClientIDs are comma-separated accepted
	// audiences of Google and Apple ID tokens ("": that login is off);
	// GoogleIssuer and AppleIssuer the issuers (tests point them at a fake).
	GoogleClientIDs, AppleClientIDs, GoogleIssuer, AppleIssuer string
	// Discord configures the Discord provider (ClientSecret may be
	// @FILE); it is on when ClientID, ClientSecret or RedirectURL is set,
	// and then needs all three.
	Discord auth.DiscordConfig
	// Redis is the state store's URL ("": in memory) and RedisPrefix its
	// key prefix.
	Redis, RedisPrefix string
}

// defaultLobbyOptions are `pantheon lobby`'s defaults (before the
// environment's).
func defaultLobbyOptions() lobbyOptions {
	return lobbyOptions{
		Lobby: lobby.Config{
			Auth:           auth.Config{AccessTTL: 15 * time.Minute},
			RefreshTTL:     30 * 24 * time.Hour,
			HeartbeatTTL:   6 * time.Second,
			PassInterval:   250 * time.Millisecond,
			AssignDeadline: 30 * time.Second,
			CapacityRetry:  2 * time.Second,
			QueueCap:       50_000,
			ConnsPerIP:     256,
			DBTimeout:      300 * time.Millisecond,
			DBRetry:        time.Second,
			DBCacheEntries: 100_000,
			MaxBodyBytes:   64 << 10,
			HealthInterval: time.Second,
			Limits:         lobby.Limits{PerIP: store.Limit{Rate: 20, Burst: 40}, LoginPerIP: store.Limit{Rate: 2, Burst: 10}},
		},
		Addr:         "127.0.0.1:8080",
		AdminAddr:    "127.0.0.1:8081",
		RedisPrefix:  "pantheon:",
		GoogleIssuer: auth.GoogleIssuer,
		AppleIssuer:  auth.AppleIssuer,
	}
}

// lobbyFlags registers `pantheon lobby`'s lobby flags on fs, bound to o,
// with each flag's environment variable, else o's value, as the default.
func lobbyFlags(fs *flag.FlagSet, o *lobbyOptions) error {
	cfg := &o.Lobby
	fs.StringVar(&o.Addr, "addr", envOr("PANTHEON_LOBBY_ADDR", o.Addr), "listen address (env PANTHEON_LOBBY_ADDR)")
	fs.StringVar(&o.AdminAddr, "admin-addr", envOr("PANTHEON_LOBBY_ADMIN_ADDR", o.AdminAddr), "private listen address of /metrics, /debug/pprof, the probes and the operator console (/console, /admin/v1/); keep it off the public network; empty disables (env PANTHEON_LOBBY_ADMIN_ADDR)")
	fs.StringVar(&o.JWTKey, "jwt-key", envOr("PANTHEON_JWT_KEY", o.JWTKey), "access-token HS256 key, at least 32 bytes, shared by replicas, or @FILE (env PANTHEON_JWT_KEY; required)")
	fs.StringVar(&cfg.FleetSecret, "fleet-secret", envOr("PANTHEON_FLEET_SECRET", cfg.FleetSecret), "secret shared with room servers, at least 32 bytes, or @FILE (env PANTHEON_FLEET_SECRET; required)")
	fs.StringVar(&o.Redis, "redis", envOr("PANTHEON_REDIS_URL", o.Redis), "Redis URL to share state between replicas; empty keeps state in memory (env PANTHEON_REDIS_URL)")
	fs.StringVar(&o.RedisPrefix, "redis-prefix", envOr("PANTHEON_REDIS_PREFIX", o.RedisPrefix), "key prefix in Redis (env PANTHEON_REDIS_PREFIX)")
	if v := os.Getenv("PANTHEON_CORS_ORIGINS"); v != "" {
		cfg.CORSOrigins = splitList(v)
	}
	fs.Var(listFlag{&cfg.CORSOrigins}, "cors-origins", "comma-separated browser origins allowed to call the API from another origin: exact (https://play.example.com), any port (http://localhost:*) or \"*\"; others get 403 origin_not_allowed (env PANTHEON_CORS_ORIGINS)")
	fs.StringVar(&o.TrustedProxies, "trusted-proxies", envOr("PANTHEON_TRUSTED_PROXIES", o.TrustedProxies), "comma-separated CIDRs whose X-Forwarded-For is trusted (env PANTHEON_TRUSTED_PROXIES)")
	fs.StringVar(&o.DevProviderSecret, "dev-provider-secret", envOr("PANTHEON_DEV_PROVIDER_SECRET", o.DevProviderSecret), "enables the development identity provider with this HMAC secret, or @FILE; never in production (env PANTHEON_DEV_PROVIDER_SECRET)")
	fs.StringVar(&o.Steam.Key, "steam-web-api-key", envOr("PANTHEON_STEAM_WEB_API_KEY", o.Steam.Key), "Steam publisher Web API key, or @FILE; with --steam-app-id enables Steam logins (env PANTHEON_STEAM_WEB_API_KEY)")
	fs.StringVar(&o.Steam.AppID, "steam-app-id", envOr("PANTHEON_STEAM_APP_ID", o.Steam.AppID), "Steam app id; with --steam-web-api-key enables Steam logins (env PANTHEON_STEAM_APP_ID)")
	fs.StringVar(&o.Steam.Identity, "steam-identity", envOr("PANTHEON_STEAM_IDENTITY", o.Steam.Identity), "identity string clients pass to GetAuthTicketForWebApi; empty: none (env PANTHEON_STEAM_IDENTITY)")
	fs.StringVar(&o.Steam.BaseURL, "steam-api-url", envOr("PANTHEON_STEAM_API_URL", o.Steam.BaseURL), "Steam Web API base URL; empty: https://partner.steam-api.com (env PANTHEON_STEAM_API_URL)")
	fs.StringVar(&o.GoogleClientIDs, "google-client-id", envOr("PANTHEON_GOOGLE_CLIENT_ID", o.GoogleClientIDs), "comma-separated OAuth client ids whose Google ID tokens are accepted; enables Google logins (env PANTHEON_GOOGLE_CLIENT_ID)")
	fs.StringVar(&o.AppleClientIDs, "apple-client-id", envOr("PANTHEON_APPLE_CLIENT_ID", o.AppleClientIDs), "comma-separated Apple bundle or services ids whose Apple ID tokens are accepted; enables Sign in with Apple (env PANTHEON_APPLE_CLIENT_ID)")
	fs.StringVar(&o.GoogleIssuer, "google-issuer", envOr("PANTHEON_GOOGLE_ISSUER", o.GoogleIssuer), "issuer of Google ID tokens, for tests (env PANTHEON_GOOGLE_ISSUER)")
	fs.StringVar(&o.AppleIssuer, "apple-issuer", envOr("PANTHEON_APPLE_ISSUER", o.AppleIssuer), "issuer of Apple ID tokens, for tests (env PANTHEON_APPLE_ISSUER)")
	fs.StringVar(&o.Discord.ClientID, "discord-client-id", envOr("PANTHEON_DISCORD_CLIENT_ID", o.Discord.ClientID), "Discord application client id; with --discord-client-secret and --discord-redirect-url enables Discord logins (env PANTHEON_DISCORD_CLIENT_ID)")
	fs.StringVar(&o.Discord.ClientSecret, "discord-client-secret", envOr("PANTHEON_DISCORD_CLIENT_SECRET", o.Discord.ClientSecret), "Discord application client secret, or @FILE (env PANTHEON_DISCORD_CLIENT_SECRET)")
	fs.StringVar(&o.Discord.RedirectURL, "discord-redirect-url", envOr("PANTHEON_DISCORD_REDIRECT_URL", o.Discord.RedirectURL), "redirect URI the game client used to get the Discord code (env PANTHEON_DISCORD_REDIRECT_URL)")
	fs.StringVar(&o.Discord.APIURL, "discord-api-url", envOr("PANTHEON_DISCORD_API_URL", o.Discord.APIURL), "Discord API base URL; empty: https://discord.com/api (env PANTHEON_DISCORD_API_URL)")
	fs.StringVar(&cfg.ReplicaID, "replica-id", envOr("PANTHEON_REPLICA_ID", cfg.ReplicaID), "this replica's name in leases and logs; default random (env PANTHEON_REPLICA_ID)")
	fs.StringVar(&cfg.ContentVersion, "content-version", envOr("PANTHEON_CONTENT_VERSION", cfg.ContentVersion), "only allocate on room servers running this content version; empty: any (env PANTHEON_CONTENT_VERSION)")
	fs.DurationVar(&cfg.Auth.AccessTTL, "access-ttl", envDuration("PANTHEON_ACCESS_TTL", cfg.Auth.AccessTTL), "access-token lifetime (env PANTHEON_ACCESS_TTL)")
	fs.DurationVar(&cfg.RefreshTTL, "refresh-ttl", envDuration("PANTHEON_REFRESH_TTL", cfg.RefreshTTL), "refresh-token family lifetime (env PANTHEON_REFRESH_TTL)")
	fs.DurationVar(&cfg.HeartbeatTTL, "heartbeat-ttl", envDuration("PANTHEON_HEARTBEAT_TTL", cfg.HeartbeatTTL), "drop a room server after this long without a heartbeat (env PANTHEON_HEARTBEAT_TTL)")
	fs.DurationVar(&cfg.PassInterval, "pass-interval", envDuration("PANTHEON_PASS_INTERVAL", cfg.PassInterval), "time between matchmaking passes (env PANTHEON_PASS_INTERVAL)")
	fs.DurationVar(&cfg.AssignDeadline, "assign-deadline", envDuration("PANTHEON_ASSIGN_DEADLINE", cfg.AssignDeadline), "requeue (or fail, past the ticket TTL) tickets claimed this long without a room (env PANTHEON_ASSIGN_DEADLINE)")
	fs.DurationVar(&cfg.CapacityRetry, "capacity-retry", envDuration("PANTHEON_CAPACITY_RETRY", cfg.CapacityRetry), "while no room server can take matches and the registry is unchanged, try again after this long (env PANTHEON_CAPACITY_RETRY)")
	fs.Float64Var(&cfg.PlacementSlack, "placement-slack", cfg.PlacementSlack, "room servers whose load score is within this of the best (0.05: 5% of capacity) are picked among at random, weighted by free rooms; negative: always the best (default 0.05)")
	fs.IntVar(&cfg.QueueCap, "queue-cap", envInt("PANTHEON_QUEUE_CAP", cfg.QueueCap), "most tickets per mode queue; more get 429 (env PANTHEON_QUEUE_CAP)")
	fs.IntVar(&cfg.ConnsPerIP, "conns-per-ip", envInt("PANTHEON_CONNS_PER_IP", cfg.ConnsPerIP), "TCP connections one client IP may hold open on --addr; trusted proxies exempt (env PANTHEON_CONNS_PER_IP)")
	fs.DurationVar(&cfg.DBTimeout, "db-timeout", envDuration("PANTHEON_DB_TIMEOUT", cfg.DBTimeout), "bound on each ratings or roster read from the database; slower or failed reads are answered from the lobby's cache (env PANTHEON_DB_TIMEOUT)")
	fs.DurationVar(&cfg.DBRetry, "db-retry", envDuration("PANTHEON_DB_RETRY", cfg.DBRetry), "after a failed database read, answer ratings and rosters from the cache alone for this long (env PANTHEON_DB_RETRY)")
	fs.IntVar(&cfg.DBCacheEntries, "db-cache-entries", envInt("PANTHEON_DB_CACHE_ENTRIES", cfg.DBCacheEntries), "most ratings, and most rosters, the lobby caches for database outages (env PANTHEON_DB_CACHE_ENTRIES)")
	fs.Int64Var(&cfg.MaxBodyBytes, "max-body", int64(envInt("PANTHEON_MAX_BODY", int(cfg.MaxBodyBytes))), "request body limit in bytes (env PANTHEON_MAX_BODY)")
	perIP, loginPerIP := limitFlag{&cfg.Limits.PerIP}, limitFlag{&cfg.Limits.LoginPerIP}
	for name, f := range map[string]limitFlag{"PANTHEON_LIMIT_PER_IP": perIP, "PANTHEON_LIMIT_LOGIN_PER_IP": loginPerIP} {
		if v := os.Getenv(name); v != "" {
			if err := f.Set(v); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	fs.Var(perIP, "limit-per-ip", "requests per second from one client IP, as RATE/BURST (env PANTHEON_LIMIT_PER_IP)")
	fs.Var(loginPerIP, "limit-login-per-ip", "logins and refreshes per second from one client IP, as RATE/BURST; raise it to load-test logins from one machine (env PANTHEON_LIMIT_LOGIN_PER_IP)")
	fs.DurationVar(&cfg.HealthInterval, "health-interval", envDuration("PANTHEON_HEALTH_INTERVAL", cfg.HealthInterval), "how often the state store and the database are pinged, to log an outage once when it starts and once when it ends (env PANTHEON_HEALTH_INTERVAL)")
	return nil
}

// build returns the lobby's configuration: o's settings with the secrets
// resolved (@FILE), the access-token key and the trusted proxies set;
// validated. It resolves o's own DevProviderSecret too (o is changed).
func (o *lobbyOptions) build() (lobby.Config, error) {
	cfg := o.Lobby
	if err := resolveSecrets(map[string]*string{"jwt-key": &o.JWTKey, "fleet-secret": &cfg.FleetSecret, "dev-provider-secret": &o.DevProviderSecret, "steam-web-api-key": &o.Steam.Key, "discord-client-secret": &o.Discord.ClientSecret}); err != nil {
		return cfg, err
	}
	if o.Steam.Key != "" || o.Steam.AppID != "" {
		if _, err := auth.NewSteam(o.Steam); err != nil {
			return cfg, fmt.Errorf("--steam-web-api-key, --steam-app-id: %w", err)
		}
	}
	if _, err := o.oidcProviders(); err != nil {
		return cfg, err
	}
	if o.discordOn() {
		if _, err := auth.NewDiscord(o.Discord); err != nil {
			return cfg, fmt.Errorf("--discord-client-id, --discord-client-secret, --discord-redirect-url: %w", err)
		}
	}
	cfg.Auth.Key = []byte(o.JWTKey)
	cfg.TrustedProxies = nil
	for _, c := range splitList(o.TrustedProxies) {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return cfg, fmt.Errorf("--trusted-proxies: %w", err)
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, p)
	}
	return cfg, cfg.Validate()
}

// oidcProviders returns the Google and Apple providers o turns on (none
// when their client ids are empty). They make no network call until the
// first login (auth.OIDCProvider), so the lobby starts while a platform is
// down.
func (o lobbyOptions) oidcProviders() ([]auth.Provider, error) {
	var ps []auth.Provider
	for _, c := range []struct{ name, flag, ids, issuer string }{
		{auth.ProviderGoogle, "--google-client-id", o.GoogleClientIDs, o.GoogleIssuer},
		{auth.ProviderApple, "--apple-client-id", o.AppleClientIDs, o.AppleIssuer},
	} {
		if strings.TrimSpace(c.ids) == "" {
			continue
		}
		p, err := auth.NewOIDC(context.Background(), auth.OIDCConfig{Name: c.name, Issuer: c.issuer, ClientIDs: splitList(c.ids)})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.flag, err)
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// discordOn reports whether o configures Discord logins at all.
func (o lobbyOptions) discordOn() bool {
	return o.Discord.ClientID != "" || o.Discord.ClientSecret != "" || o.Discord.RedirectURL != ""
}

// newLobby creates the lobby of cfg (built by o.build) on db, with o's
// state store (Redis, or in memory) and identity providers, content-checked
// rosters and site (nil: none) serving the paths outside /v1/. closeState
// closes the state store once the lobby has stopped.
func newLobby(o lobbyOptions, cfg lobby.Config, db persistence.Store, content *content.Bundle, site http.Handler, log *slog.Logger) (l *lobby.Lobby, closeState func(), err error) {
	var st store.Store
	if o.Redis != "" {
		// A Redis that does not answer yet is not fatal: the health loop
		// logs it down at once, requests needing it get 503, and the lobby
		// recovers by itself when it answers.
		rs, err := store.NewRedis(store.RedisConfig{URL: o.Redis, Prefix: o.RedisPrefix})
		if err != nil {
			return nil, nil, fmt.Errorf("redis: %w", err)
		}
		st = rs
	} else {
		st = store.NewMemory(store.MemoryConfig{})
	}
	var providers []auth.Provider
	if o.DevProviderSecret != "" {
		log.Warn("the development identity provider is enabled")
		providers = append(providers, auth.DevProvider{Secret: []byte(o.DevProviderSecret)})
	}
	if o.Steam.Key != "" || o.Steam.AppID != "" {
		sp, err := auth.NewSteam(o.Steam) // checked by build
		if err != nil {
			st.Close()
			return nil, nil, err
		}
		providers = append(providers, sp)
	}
	ops, err := o.oidcProviders() // checked by build
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	providers = append(providers, ops...)
	if o.discordOn() {
		dp, err := auth.NewDiscord(o.Discord) // checked by build
		if err != nil {
			st.Close()
			return nil, nil, err
		}
		providers = append(providers, dp)
	}
	cc, err := newClientContent(content)
	if err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("content: %w", err)
	}
	l, err = lobby.New(cfg, lobby.Deps{
		Store: st, Accounts: db, Refresh: db, Rosters: db, Ratings: db, History: db, Database: db,
		Modes: content.Modes(), Validator: contentValidator(content), Content: cc, Site: site,
		Providers: providers,
		Log:       log,
	})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return l, func() { st.Close() }, nil
}

// runLobby runs the lobby HTTP API: `pantheon lobby [flags]`. Every flag
// has an environment variable; flags win.
func runLobby(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lobby", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := defaultLobbyOptions()
	if err := lobbyFlags(fs, &o); err != nil {
		fmt.Fprintf(stderr, "pantheon lobby: %v\n", err)
		return 2
	}
	dbURL := fs.String("db", envOr("PANTHEON_DB", sqlstore.DefaultDevURL), "database URL: postgres://... or sqlite:PATH (env PANTHEON_DB)")
	logLevel := fs.String("log-level", envOr("PANTHEON_LOG_LEVEL", "info"), "debug, info, warn or error (env PANTHEON_LOG_LEVEL)")
	logFormat := fs.String("log-format", envOr("PANTHEON_LOG_FORMAT", "text"), "text or json (env PANTHEON_LOG_FORMAT)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
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
	cfg, err := o.build()
	if err != nil {
		return fail("%v", err)
	}

	bundle, err := content.Load()
	if err != nil {
		return fail("content: %v", err)
	}
	db, err := sqlstore.Open(ctx, *dbURL)
	if err != nil {
		return fail("database: %v", err)
	}
	defer db.Close()
	l, closeState, err := newLobby(o, cfg, db, bundle, nil, log)
	if err != nil {
		return fail("%v", err)
	}
	defer closeState()
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fail("listen: %v", err)
	}
	if o.AdminAddr != "" {
		bound, stopAdmin, err := serveLobbyAdmin(ctx, l, o.AdminAddr, log)
		if err != nil {
			_ = ln.Close()
			return fail("%v", err)
		}
		defer stopAdmin()
		fmt.Fprintf(stdout, "pantheon lobby: metrics on http://%s/metrics\n", bound)
	}
	fmt.Fprintf(stdout, "pantheon lobby: listening on http://%s (state: %s, db: %s, content %s)\n",
		ln.Addr(), map[bool]string{true: "redis", false: "memory"}[o.Redis != ""], redactURL(*dbURL), bundle.Version())
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
func contentValidator(c *content.Bundle) lobby.RosterValidator {
	return lobby.RosterValidatorFunc(func(o contract.Oracle) error {
		return ecs.ValidateOracle(c, ecs.OracleSpec{Archetype: o.Archetype, Role: o.Role, Loadout: o.Loadout, Pet: o.Pet, Form: o.Form, Totem: o.Totem})
	})
}

// limitFlag is a rate limit given as RATE/BURST (e.g. 20/40) on the
// command line.
type limitFlag struct{ p *store.Limit }

func (f limitFlag) String() string {
	if f.p == nil {
		return "0/0"
	}
	return fmt.Sprintf("%g/%d", f.p.Rate, f.p.Burst)
}

func (f limitFlag) Set(s string) error {
	r, b, ok := strings.Cut(s, "/")
	rate, err := strconv.ParseFloat(r, 64)
	if !ok || err != nil || rate <= 0 {
		return fmt.Errorf("%q: want RATE/BURST with RATE > 0, e.g. 20/40", s)
	}
	burst, err := strconv.Atoi(b)
	if err != nil || burst < 1 {
		return fmt.Errorf("%q: want RATE/BURST with BURST >= 1, e.g. 20/40", s)
	}
	*f.p = store.Limit{Rate: rate, Burst: burst}
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
