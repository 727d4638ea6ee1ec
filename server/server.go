package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/netcode/transport"

	"github.com/pantheon-oracles/pantheon/internal/connlimit"
	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/prometheus/client_golang/prometheus"
)

// Server hosts many rooms: it owns the scheduler shards, the listeners, the
// control API, the result queue, the log queue and the heartbeats, and
// starts every goroutine through its owner group (the logger goroutine
// apart, which outlives them) so Shutdown can wait for all of them.
type Server struct {
	cfg            Config
	log            *slog.Logger // queued: safe on a room's goroutine (logs)
	logs           *logQueue
	metrics        *metrics
	tickets        *Tickets
	keys           *transport.KeyRing // per-seat KCP keys; nil when KCP is plaintext
	reg            *registry
	results        *resultQueue
	sink           ResultSink
	journal        *journal   // nil without Config.Journal
	ended          *endedFeed // matches ended, for the lobby (heartbeats)
	newEngine      engineFactory
	contentVersion string
	modes          []string // the content's mode ids; rooms of other modes are refused
	shards         []*shard
	window         tickHist      // tick durations since the last heartbeat
	tickObserver   *tickHist     // optional extra observer (benchmarks)
	drops          inputDrops    // pre-resolved input drop counters
	group          routines      // every goroutine the server starts
	guard          *failureGuard // fleet-secret failures per source
	// now is the clock of the rooms (each service's now) and of the
	// readers' back-offs: time.Now, or a test's synthetic clock
	// (Config.now).
	now func() time.Time

	mu         sync.Mutex
	started    bool
	extra      []listener // added before Start (in-memory transports in tests and benchmarks)
	manual     bool       // benchmarks: Start runs no shard goroutines; the caller calls pass
	listeners  []listener
	admin      *http.Server
	adminAddr  string
	adminLimit *connlimit.Listener

	stopShards  chan struct{}
	stopResults chan struct{}
	stopBeats   chan struct{}
	resultsDone chan struct{} // closed when every result worker has returned
	stopAccept  chan struct{}
	flushCtx    context.Context
	flushCancel context.CancelFunc
}

// inputDrops are the input drop counters, resolved once.
type inputDrops struct {
	inboxFull, rateLimited, stale prometheus.Counter
}

// newServer validates cfg (after defaults) and returns a server that builds
// each room's simulation with newEngine, running content version
// contentVersion with the given modes, and hands results to sink. Nothing
// listens until Start.
func newServer(cfg Config, newEngine engineFactory, contentVersion string, modes []string, sink ResultSink) (*Server, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	for m := range cfg.TickRates {
		if !slices.Contains(modes, m) {
			return nil, fmt.Errorf("server: config: tick rate for unknown mode %q (content has %v)", m, modes)
		}
	}
	for m := range cfg.Grace {
		if !slices.Contains(modes, m) {
			return nil, fmt.Errorf("server: config: grace for unknown mode %q (content has %v)", m, modes)
		}
	}
	if sink == nil {
		return nil, errors.New("server: nil result sink")
	}
	tk, err := NewTickets(cfg.TicketKey)
	if err != nil {
		return nil, err
	}
	m := newMetrics(cfg.Registry, modes)
	logs := newLogQueue(cfg.LogQueue, cfg.Logger.Handler(), m.logDrops)
	log := logs.logger()
	if cfg.now == nil {
		cfg.now = time.Now
	}
	s := &Server{
		cfg: cfg, log: log, logs: logs, metrics: m, tickets: tk, keys: newKeyRing(cfg.KCPKey),
		reg:            newRegistry(cfg.MaxRooms),
		results:        newResultQueue(cfg.ResultQueue, sink, cfg.SubmitRetry, log, m),
		sink:           sink,
		ended:          newEndedFeed(0),
		newEngine:      newEngine,
		contentVersion: contentVersion,
		modes:          slices.Clone(modes),
		guard:          newFailureGuard(time.Now),
		now:            cfg.now,
		drops: inputDrops{
			inboxFull:   m.inboxDrops.WithLabelValues("inbox_full"),
			rateLimited: m.inboxDrops.WithLabelValues("rate_limited"),
			stale:       m.inboxDrops.WithLabelValues("stale"),
		},
		stopShards:  make(chan struct{}),
		stopResults: make(chan struct{}),
		stopBeats:   make(chan struct{}),
		resultsDone: make(chan struct{}),
		stopAccept:  make(chan struct{}),
	}
	if err := cfg.Registry.Register(newAdmissionCollector(s)); err != nil {
		return nil, fmt.Errorf("server: metrics: %w", err)
	}
	s.flushCtx, s.flushCancel = context.WithCancel(context.Background())
	s.results.durable = s.resultDurable
	if cfg.LobbyURL != "" {
		s.ended = newEndedFeed(maxEndedFeed)
	}
	s.ended.dropped = m.endedDropped.Inc
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "pantheon_room", Name: "matches_ended_pending", Help: "Ended matches not yet acknowledged by the lobby (sent with heartbeats).",
	}, func() float64 { return float64(s.ended.len()) }))
	n := cfg.Shards
	if n == 0 {
		n = runtime.GOMAXPROCS(0)
	}
	for i := 0; i < n; i++ {
		s.shards = append(s.shards, newShard(s, i))
	}
	return s, nil
}

// Start binds the admin, KCP and WebSocket listeners and starts the shards,
// the result queue, the accept loops and the heartbeats.
func (s *Server) Start() error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("server: already started")
	}
	if s.cfg.Journal != "" {
		if err := s.recoverJournal(); err != nil {
			s.mu.Unlock()
			return err
		}
	}
	ln, err := net.Listen("tcp", s.cfg.AdminAddr)
	if err != nil {
		s.mu.Unlock()
		return fmt.Errorf("server: admin listen %s: %w", s.cfg.AdminAddr, err)
	}
	s.adminAddr = ln.Addr().String()
	lns, err := s.listen()
	if err != nil {
		s.mu.Unlock()
		ln.Close()
		return err
	}
	s.listeners = append(lns, s.extra...)
	s.admin = s.newAdminServer()
	s.adminLimit = connlimit.Wrap(ln, connlimit.Config{PerIP: s.cfg.ConnsPerIP})
	ln = s.adminLimit
	s.started = true
	s.mu.Unlock()

	go s.logs.run() // waited for by Shutdown (logQueue.close), after the group
	for _, sh := range s.shards {
		if s.manual {
			break
		}
		s.group.Go(func() { sh.run(s.stopShards) })
	}
	var workers sync.WaitGroup
	for range s.cfg.ResultWorkers {
		workers.Add(1)
		s.group.Go(func() {
			defer workers.Done()
			s.results.run(s.flushCtx, s.stopResults)
		})
	}
	s.group.Go(func() { workers.Wait(); close(s.resultsDone) })
	s.group.Go(func() {
		if err := s.admin.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("admin server failed", "err", err)
		}
	})
	for _, l := range s.listeners {
		s.group.Go(func() { s.acceptLoop(l) })
	}
	if s.cfg.LobbyURL != "" {
		s.group.Go(func() { s.runHeartbeats(s.stopBeats) })
	}
	s.log.Info("room server started", "server", s.cfg.ServerID, "admin", s.adminAddr,
		"kcp", s.PublicKCPAddr(), "ws", s.PublicWSURL(), "shards", len(s.shards), "content", s.contentVersion)
	return nil
}

// addListener makes Start also accept sessions from l (before Start only).
func (s *Server) addListener(l listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.extra = append(s.extra, l)
}

// Run starts the server, serves until ctx is cancelled, then drains
// (Shutdown). It returns Start's error or nil after a complete drain.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Start(); err != nil {
		return err
	}
	<-ctx.Done()
	return s.Shutdown()
}

// Shutdown drains the server: the control API and heartbeats say draining
// and new rooms are refused; running rooms get Config.DrainTimeout to
// finish, then the rest are aborted (clients get server_draining); queued
// results get Config.FlushTimeout to reach the sink; listeners close and
// every goroutine is waited for; last, the logger goroutine writes the
// queued log records (for at most Config.FlushTimeout: a log writer blocked
// for good is left behind, and Shutdown says so).
func (s *Server) Shutdown() error {
	s.mu.Lock()
	if !s.started {
		s.mu.Unlock()
		return errors.New("server: not started")
	}
	s.mu.Unlock()
	s.reg.setDraining()
	s.log.Info("draining", "rooms", s.reg.len(), "deadline", s.cfg.DrainTimeout)
	// Rooms still waiting for players would never start now: end them at
	// once so their players can be matched elsewhere.
	for _, r := range s.reg.rooms() {
		if r.summary().State == StateWaiting {
			r.requestAbort(netcode.CodeServerDraining, "server draining before the match started")
		}
	}
	s.pokeShards()
	if !s.waitRooms(s.cfg.DrainTimeout) {
		for _, r := range s.reg.rooms() {
			r.requestAbort(netcode.CodeServerDraining, "server draining")
		}
		s.pokeShards()
		s.log.Warn("drain deadline passed; aborted remaining rooms", "rooms", s.reg.len())
		if !s.waitRooms(s.cfg.FlushTimeout) {
			s.log.Error("rooms still hosted after abort", "rooms", s.reg.len())
		}
	}
	close(s.stopAccept)
	for _, l := range s.listeners {
		l.Close()
	}
	close(s.stopShards)
	s.pokeShards()
	flushTimer := time.AfterFunc(s.cfg.FlushTimeout, s.flushCancel)
	close(s.stopResults)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	err := s.admin.Shutdown(ctx)
	cancel()
	close(s.stopBeats)
	s.group.Wait()
	flushTimer.Stop()
	s.flushCancel()
	var errs []error
	if err != nil {
		errs = append(errs, fmt.Errorf("server: admin shutdown: %w", err))
	}
	if s.journal != nil {
		if err := s.journal.close(); err != nil {
			errs = append(errs, fmt.Errorf("server: journal close: %w", err))
		}
	}
	s.log.Info("room server stopped")
	if !s.logs.close(s.cfg.FlushTimeout) {
		errs = append(errs, fmt.Errorf("server: log writer blocked; %d records not written", len(s.logs.ch)))
	}
	return errors.Join(errs...)
}

// waitRooms polls until no room is hosted or d has passed.
func (s *Server) waitRooms(d time.Duration) bool {
	deadline := time.Now().Add(d)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for s.reg.len() > 0 {
		if time.Now().After(deadline) {
			return false
		}
		<-t.C
	}
	return true
}

func (s *Server) pokeShards() {
	for _, sh := range s.shards {
		sh.poke()
	}
}

// createRoom builds and schedules a room for spec, or returns the room
// already created for spec.MatchID (existed=true). Errors: ErrBadSpec and
// ErrContentVersion (the request), ErrDraining, ErrServerFull.
func (s *Server) createRoom(spec contract.RoomSpec) (r *room, existed bool, err error) {
	if err := spec.Validate(); err != nil {
		return nil, false, err
	}
	if !slices.Contains(s.modes, spec.Mode) {
		return nil, false, fmt.Errorf("%w: unknown mode %q", contract.ErrBadSpec, spec.Mode)
	}
	if old, ok := s.reg.lookupMatch(spec.MatchID); ok {
		return old, true, nil
	}
	if spec.ContentVersion != "" && spec.ContentVersion != s.contentVersion {
		return nil, false, fmt.Errorf("%w: asked for %q, server runs %q", ErrContentVersion, spec.ContentVersion, s.contentVersion)
	}
	if s.reg.isDraining() {
		return nil, false, ErrDraining
	}
	eng, err := s.newEngine(spec)
	if err != nil {
		return nil, false, fmt.Errorf("%w: match %s: %v", contract.ErrBadSpec, spec.MatchID, err)
	}
	id := "r_" + randomToken()[:16] // 96 random bits
	rm := newRoom(id, spec, eng, s, time.Now())
	if err := rm.registerJoinKeys(); err != nil {
		rm.forgetKeys()
		return nil, false, err
	}
	got, existed, err := s.reg.add(rm)
	if err != nil || existed {
		rm.forgetKeys()
		return got, existed, err
	}
	if s.journal != nil {
		if err := s.journal.accept(spec); err != nil {
			s.reg.remove(rm)
			rm.forgetKeys()
			s.metrics.journalErrors.Inc()
			s.log.Error("room refused: journal write failed", "match", spec.MatchID, "err", err)
			return nil, false, err
		}
	}
	s.roomState("", StateWaiting)
	s.leastLoadedShard().add(rm)
	s.log.Info("room created", "room", id, "match", spec.MatchID, "mode", spec.Mode, "seats", len(spec.Seats))
	return rm, false, nil
}

// CloseRoom ends a room with an aborted result (DELETE /v1/rooms/{id}).
func (s *Server) CloseRoom(id string) error {
	r, ok := s.reg.get(id)
	if !ok {
		return fmt.Errorf("room %s: close: %w", id, ErrRoomNotFound)
	}
	r.requestAbort(netcode.CodeRoomEnded, "room closed by the lobby")
	s.pokeShards()
	return nil
}

func (s *Server) leastLoadedShard() *shard {
	best := s.shards[0]
	for _, sh := range s.shards[1:] {
		if sh.load.Load() < best.load.Load() {
			best = sh
		}
	}
	return best
}

// roomState moves one room between the rooms gauge's states ("" for none).
func (s *Server) roomState(from, to string) {
	if from != "" {
		s.metrics.roomsStates[from].Dec()
	}
	if to != "" {
		s.metrics.roomsStates[to].Inc()
	}
}

// AdminAddr is the bound admin address (after Start).
func (s *Server) AdminAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.adminAddr
}

// PublicControlURL is the control URL advertised to the lobby.
func (s *Server) PublicControlURL() string {
	if s.cfg.PublicControlURL != "" {
		return s.cfg.PublicControlURL
	}
	return "http://" + s.AdminAddr()
}

// PublicKCPAddr is the KCP address advertised to players.
func (s *Server) PublicKCPAddr() string {
	if s.cfg.PublicKCPAddr != "" {
		return s.cfg.PublicKCPAddr
	}
	return s.boundAddr("kcp")
}

// PublicWSURL is the WebSocket URL advertised to players.
func (s *Server) PublicWSURL() string {
	if s.cfg.PublicWSURL != "" {
		return s.cfg.PublicWSURL
	}
	if a := s.boundAddr("ws"); a != "" {
		return "ws://" + a + wsPath
	}
	return ""
}

func (s *Server) boundAddr(transport string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.listeners {
		if l.Transport() == transport {
			return l.Addr()
		}
	}
	return ""
}

// routines owns goroutines: Go starts one, Wait waits for all of them.
type routines struct{ wg sync.WaitGroup }

// Go runs f on a new goroutine the group waits for.
func (g *routines) Go(f func()) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		f()
	}()
}

// Wait blocks until every goroutine started by Go has returned.
func (g *routines) Wait() { g.wg.Wait() }
