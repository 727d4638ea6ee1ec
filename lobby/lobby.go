package lobby

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/internal/connlimit"
	"github.com/pantheon-oracles/pantheon/internal/origin"
	"github.com/pantheon-oracles/pantheon/internal/outage"
	"github.com/pantheon-oracles/pantheon/lobby/auth"
	"github.com/pantheon-oracles/pantheon/lobby/flags"
	"github.com/pantheon-oracles/pantheon/lobby/fleet"
	"github.com/pantheon-oracles/pantheon/lobby/match"
	"github.com/pantheon-oracles/pantheon/lobby/store"
	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/prometheus/client_golang/prometheus"
)

// RosterValidator checks an oracle's content ids (archetype, loadout, pet,
// form, totem) against the game content. The lobby calls it before saving an
// oracle and again before queueing one.
type RosterValidator interface {
	ValidateOracle(contract.Oracle) error
}

// RosterValidatorFunc adapts a function to RosterValidator.
type RosterValidatorFunc func(contract.Oracle) error

// ValidateOracle implements RosterValidator.
func (f RosterValidatorFunc) ValidateOracle(o contract.Oracle) error { return f(o) }

// Deps are the lobby's collaborators. Store, Accounts, Refresh, Rosters and
// Ratings are required.
type Deps struct {
	// Store holds the shared short-lived state (memory or Redis).
	Store store.Store
	// Accounts, Refresh, Rosters and Ratings are the durable store's parts.
	// Ratings and rosters are read through a cache that answers while the
	// database is down (doc.go, "Database outages").
	Accounts persistence.Accounts
	Refresh  persistence.RefreshTokens
	Rosters  persistence.Rosters
	Ratings  persistence.Ratings
	// History, when set, serves the player-facing reads of results,
	// ratings, leaderboards, wallets, ledgers and codexes (GET
	// /v1/me/matches and the other history routes, history.go); nil
	// answers them 404. A persistence.Store is one.
	History persistence.History
	// Database, when set, is the durable store's health check (a
	// persistence.Store is one): pinged every HealthInterval so that a
	// database outage is logged, and its end seen, without traffic. Nil:
	// only failed and successful reads tell.
	Database Pinger
	// Modes are the content's modes (content.Bundle.Modes()), required: the
	// lobby runs one queue per mode, with the content's teams and team
	// sizes and Config.ModePolicies on top (match.NewModes).
	Modes []content.ModeDef
	// Validator checks oracles against content; nil checks shape only.
	Validator RosterValidator
	// Content is served at GET /v1/content; nil answers it 404.
	Content *ClientContent
	// Site serves every request whose path is outside /v1/ (pantheon dev:
	// the browser page and its dev API), behind the same CORS check and
	// per-IP limit as the API; nil answers them with the JSON 404.
	Site http.Handler
	// Providers verify platform logins and links, by Name.
	Providers []auth.Provider
	// Fleet calls room servers; nil builds one from FleetSecret and AllocTimeout.
	Fleet *fleet.Client
	// Placer orders the servers of each placement; nil builds one with a
	// random seed and Config.PlacementSlack. Tests pass
	// fleet.NewPlacer(rand.New(rand.NewPCG(seed, 0)), 0) to fix its draws.
	Placer *fleet.Placer
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Log receives operational logs. Default discards.
	Log *slog.Logger
	// Registry receives the lobby's Prometheus metrics. Default: a registry
	// of the lobby's own (never the global default) with the Go and process
	// collectors; a registry passed in gets only the lobby's metrics, and
	// its owner adds those collectors. AdminHandler serves it at /metrics.
	Registry *prometheus.Registry
}

// Lobby is the lobby service: the HTTP API, the push channel and the
// matchmaker loop. Create it with New, serve it with Run (or mount Handler
// and call Pass yourself), and stop it by cancelling Run's context.
type Lobby struct {
	cfg         Config
	modes       match.Modes // the content's modes under cfg.ModePolicies
	st          store.Store
	accounts    persistence.Accounts
	refresh     persistence.RefreshTokens
	rosters     persistence.Rosters // the dbCache over Deps.Rosters
	ratings     persistence.Ratings // the dbCache over Deps.Ratings
	hist        persistence.History // Deps.History; nil: the history routes answer 404
	dbCache     *dbCache
	database    Pinger          // nil: not pinged
	stateDep    *outage.Tracker // the state store's up/down state
	dbDep       *outage.Tracker // the database's
	validator   RosterValidator
	origins     origin.Policy // Config.CORSOrigins
	content     *ClientContent
	site        http.Handler
	providers   map[string]auth.Provider
	fleet       *fleet.Client
	placer      *fleet.Placer
	tokens      *auth.Tokens
	now         func() time.Time
	log         *slog.Logger
	mux         *http.ServeMux
	routes      []route
	met         *metrics
	ended       endedMetrics
	lostTickets *lostWatch
	recent      recentMatches    // for the operator console
	flagEv      *flags.Evaluator // feature flags (flagstate.go)

	conns sync.WaitGroup // open push connections

	mu         sync.Mutex
	push       pushCounts               // open push connections by session and player
	lastStatus map[string]time.Time     // mode -> last periodic queue_status
	waits      map[string]*capacityWait // mode -> back-off while no room server can take its matches
	closing    chan struct{}
}

// New returns a lobby for cfg (after Validate) and deps.
func New(cfg Config, deps Deps) (*Lobby, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Store == nil || deps.Accounts == nil || deps.Refresh == nil || deps.Rosters == nil || deps.Ratings == nil {
		return nil, errors.New("lobby: Store, Accounts, Refresh, Rosters and Ratings are required")
	}
	cfg = cfg.withDefaults()
	policies := cfg.ModePolicies
	if policies == nil {
		// The defaults apply to the content's modes only: content may
		// leave out a mode the default table names.
		policies = match.DefaultModePolicies()
		maps.DeleteFunc(policies, func(id string, _ match.ModePolicy) bool {
			return !slices.ContainsFunc(deps.Modes, func(m content.ModeDef) bool { return m.ID == id })
		})
	}
	modes, err := match.NewModes(deps.Modes, policies)
	if err != nil {
		return nil, fmt.Errorf("lobby: modes from content: %w", err)
	}
	tokens, err := auth.NewTokens(cfg.Auth)
	if err != nil {
		return nil, fmt.Errorf("lobby: %w", err)
	}
	l := &Lobby{
		cfg: cfg, modes: modes, st: deps.Store, accounts: deps.Accounts, refresh: deps.Refresh, rosters: deps.Rosters,
		ratings: deps.Ratings, hist: deps.History, validator: deps.Validator, providers: map[string]auth.Provider{},
		fleet: deps.Fleet, placer: deps.Placer, content: deps.Content, site: deps.Site, tokens: tokens, now: deps.Now, log: deps.Log,
		lastStatus: map[string]time.Time{}, waits: map[string]*capacityWait{}, closing: make(chan struct{}),
		push: newPushCounts(),
	}
	l.origins, _ = origin.Parse(cfg.CORSOrigins) // checked by Validate
	for _, p := range deps.Providers {
		l.providers[p.Name()] = p
	}
	if l.fleet == nil {
		l.fleet = fleet.NewClient(cfg.FleetSecret, cfg.AllocTimeout)
	}
	if l.placer == nil {
		l.placer = fleet.NewPlacer(nil, cfg.PlacementSlack)
	}
	if l.now == nil {
		l.now = time.Now
	}
	if l.log == nil {
		l.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	reg, own := deps.Registry, deps.Registry == nil
	if own {
		reg = prometheus.NewRegistry()
	}
	l.met = newMetrics(reg, own, l.st, modes.All())
	l.ended = newEndedMetrics(reg)
	l.lostTickets = newLostWatch(reg)
	l.database = deps.Database
	l.stateDep = l.met.tracker(depState, l.log, l.now)
	l.dbDep = l.met.tracker(depDatabase, l.log, l.now)
	l.dbCache = newDBCache(cfg, deps.Ratings, deps.Rosters, l.now, l.dbDep, l.met.cacheHits)
	l.ratings, l.rosters = l.dbCache, l.dbCache
	l.met.cacheEntries(l.dbCache)
	if l.flagEv, err = flags.NewEvaluator(context.Background()); err != nil {
		return nil, fmt.Errorf("lobby: %w", err)
	}
	l.buildRoutes()
	return l, nil
}

// Config returns the effective configuration (defaults filled).
func (l *Lobby) Config() Config { return l.cfg }

// Registry returns the registry holding the lobby's metrics.
func (l *Lobby) Registry() *prometheus.Registry { return l.met.reg }

// Run serves the API on ln, pings its dependencies (every HealthInterval)
// and runs the matchmaker loop, passes and sweeps (unless PassInterval is
// negative), until ctx is cancelled, then shuts down: it stops
// accepting, closes push connections, and waits up to 5 s for requests.
func (l *Lobby) Run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           l.Handler(),
		MaxHeaderBytes:    l.cfg.MaxHeaderBytes,
		ReadHeaderTimeout: l.cfg.ReadHeaderTimeout,
		ReadTimeout:       l.cfg.ReadTimeout,
		WriteTimeout:      l.cfg.WriteTimeout,
		IdleTimeout:       l.cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(l.log.Handler(), slog.LevelWarn),
	}
	// Connections that never sent a request (StateNew; e.g. a client's
	// spare dial) would hold Shutdown for 5 s, so they are closed at once.
	var freshMu sync.Mutex
	fresh := map[net.Conn]struct{}{}
	srv.ConnState = func(c net.Conn, s http.ConnState) {
		freshMu.Lock()
		defer freshMu.Unlock()
		if s == http.StateNew {
			fresh[c] = struct{}{}
		} else {
			delete(fresh, c)
		}
	}
	var wg sync.WaitGroup
	loopCtx, stopLoop := context.WithCancel(ctx)
	defer stopLoop()
	wg.Add(1)
	go func() {
		defer wg.Done()
		l.healthLoop(loopCtx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		l.lostLoop(loopCtx)
	}()
	flagSub := l.startFlags(loopCtx)
	wg.Add(1)
	go func() {
		defer wg.Done()
		l.flagLoop(loopCtx, flagSub)
	}()
	if l.cfg.PassInterval > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.matchLoop(loopCtx)
		}()
	}
	if l.cfg.ConnsPerIP > 0 {
		ln = connlimit.Wrap(ln, connlimit.Config{PerIP: l.cfg.ConnsPerIP, Exempt: l.trusted,
			OnRefuse: func(netip.Addr) { l.met.rateLimited.WithLabelValues(limitConnsPerIP).Inc() }})
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	stopLoop()
	l.shutdownPush()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(sctx) }()
	freshMu.Lock()
	for c := range fresh {
		_ = c.Close()
	}
	freshMu.Unlock()
	if serr := <-shut; serr != nil && err == nil {
		err = serr
	}
	wg.Wait()
	l.conns.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// shutdownPush closes every push connection (idempotent).
func (l *Lobby) shutdownPush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.closing:
	default:
		close(l.closing)
	}
}

// matchLoop runs a pass of every mode each PassInterval and a sweep of
// every mode's stuck claims each SweepInterval, until ctx ends.
func (l *Lobby) matchLoop(ctx context.Context) {
	pass := time.NewTicker(l.cfg.PassInterval)
	defer pass.Stop()
	sweep := time.NewTicker(l.cfg.SweepInterval)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-pass.C:
			for _, m := range l.modes.All() {
				if _, err := l.Pass(ctx, m.ID); err != nil && ctx.Err() == nil {
					l.met.countUnavailable(err)
					l.logFailure("matchmaking pass failed", err, "mode", m.ID)
				}
			}
		case <-sweep.C:
			for _, m := range l.modes.All() {
				if _, err := l.Sweep(ctx, m.ID); err != nil && ctx.Err() == nil {
					l.met.countUnavailable(err)
					l.logFailure("sweep of stuck claims failed", err, "mode", m.ID)
				}
			}
		}
	}
}
