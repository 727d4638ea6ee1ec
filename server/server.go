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
	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/internal/connlimit"
	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
	"github.com/prometheus/client_golang/prometheus"
)

// Server hosts many rooms: it owns the scheduler shards, the listeners, the
// control API, the result queue, the log queue and the heartbeats, and
// starts every goroutine in a phase of its lifecycle (the logger goroutine
// apart, which outlives them) so Shutdown can end and wait for each phase
// in turn.
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
	env            roomEnv  // what every room of the server runs with
	shards         []*shard
	window         tickHist      // tick durations since the last heartbeat
	drops          inputDrops    // pre-resolved input drop counters
	life           lifecycle     // every goroutine the server starts
	guard          *failureGuard // fleet-secret failures per source
	// now is the clock of the rooms (each service's now) and of the
	// readers' back-offs: time.Now, or a test's synthetic clock
	// (Config.now).
	now func() time.Time

	mu         sync.Mutex // guards the fields below; held by Start throughout
	listeners  []listener
	admin      *http.Server
	adminAddr  string
	adminLimit *connlimit.Listener
}

// inputDrops are the input drop counters, resolved once.
type inputDrops struct {
	inboxFull, rateLimited, stale prometheus.Counter
}

// New returns a room server whose rooms run content's simulation and whose
// finished matches go to sink. cfg is completed with defaults and
// validated. Nothing listens until Start (or Run).
func New(cfg Config, content *content.Bundle, sink ResultSink) (*Server, error) {
	if content == nil {
		return nil, fmt.Errorf("server: nil content")
	}
	var modes []string
	for _, m := range content.Modes() {
		modes = append(modes, m.ID)
	}
	return newServer(cfg, simFactory(content), content.Version(), modes, sink)
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
	if cfg.KCPKeys == nil && len(cfg.KCPKey) > 0 {
		cfg.KCPKeys = transport.NewKeyRing()
	}
	m := newMetrics(cfg.Registry, modes)
	logs := newLogQueue(cfg.LogQueue, cfg.Logger.Handler(), m.logDrops)
	log := logs.logger()
	if cfg.now == nil {
		cfg.now = time.Now
	}
	s := &Server{
		cfg: cfg, log: log, logs: logs, metrics: m, tickets: tk, keys: cfg.KCPKeys,
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
	}
	if err := cfg.Registry.Register(newAdmissionCollector(s)); err != nil {
		return nil, fmt.Errorf("server: metrics: %w", err)
	}
	s.results.durable = s.resultDurable
	if len(cfg.LobbyURLs) > 0 {
		s.ended = newEndedFeed(maxEndedFeed)
	}
	s.ended.dropped = m.endedDropped.Inc
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "pantheon_room", Name: "matches_ended_pending", Help: "Ended matches not yet acknowledged by the lobby (sent with heartbeats).",
	}, func() float64 { return float64(s.ended.len()) }))
	s.env = roomEnv{
		cfg: roomConfigOf(cfg), contentVersion: contentVersion, log: log, metrics: m,
		drops: s.drops, ticks: &s.window, results: s.results, keys: s.keys,
		now: cfg.now, forget: s.reg.remove,
	}
	n := cfg.Shards
	if n == 0 {
		n = runtime.GOMAXPROCS(0)
	}
	for i := 0; i < n; i++ {
		s.shards = append(s.shards, newShard(&s.env, i))
	}
	return s, nil
}

// Start binds the admin, KCP and WebSocket listeners and starts the shards,
// the result workers, the accept loops (those listeners' and
// Config.Listeners') and the heartbeats. A server starts once.
func (s *Server) Start() error {
	s.mu.Lock()
	if err := s.life.canStart(); err != nil {
		s.mu.Unlock()
		return err
	}
	if err := s.bind(); err != nil {
		s.mu.Unlock()
		for _, l := range s.cfg.Listeners {
			l.Listener.Close()
		}
		return err
	}
	if err := s.life.start(); err != nil {
		s.mu.Unlock()
		return err // cannot happen: only Start starts, under s.mu
	}
	ln := net.Listener(s.adminLimit)
	go s.logs.run() // waited for by Shutdown (logQueue.close), after every phase
	for _, sh := range s.shards {
		s.life.Go(phaseShards, sh.run)
	}
	shardsDone := s.life.done(phaseShards)
	for range s.cfg.ResultWorkers {
		s.life.Go(phaseResults, func(ctx context.Context) { s.results.run(ctx, shardsDone) })
	}
	s.life.Go(phaseAdmin, func(context.Context) {
		if err := s.admin.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("admin server failed", "err", err)
		}
	})
	for _, l := range s.listeners {
		s.life.Go(phaseAccept, func(ctx context.Context) { s.acceptLoop(ctx, l) })
	}
	if len(s.cfg.LobbyURLs) > 0 {
		s.life.Go(phaseBeats, s.runHeartbeats)
	}
	s.mu.Unlock()
	s.log.Info("room server started", "server", s.cfg.ServerID, "admin", s.AdminAddr(),
		"kcp", s.PublicKCPAddr(), "ws", s.PublicWSURL(), "shards", len(s.shards), "content", s.contentVersion)
	return nil
}

// bind recovers the journal and binds the admin, KCP and WebSocket
// listeners (s.mu held). On error nothing of its own stays bound.
func (s *Server) bind() error {
	if s.cfg.Journal != "" {
		if err := s.recoverJournal(); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", s.cfg.AdminAddr)
	if err != nil {
		return fmt.Errorf("server: admin listen %s: %w", s.cfg.AdminAddr, err)
	}
	lns, err := s.listen()
	if err != nil {
		ln.Close()
		return err
	}
	for _, l := range s.cfg.Listeners {
		lns = append(lns, netListener{Listener: l.Listener, name: l.Transport})
	}
	s.adminAddr = ln.Addr().String()
	s.listeners = lns
	s.admin = s.newAdminServer()
	s.adminLimit = connlimit.Wrap(ln, connlimit.Config{PerIP: s.cfg.ConnsPerIP})
	return nil
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

// Drain takes the server out of allocation without stopping it: new rooms
// are refused (503 draining), heartbeats and /readyz say draining, and the
// rooms it hosts play on to their end. It is what Shutdown does first; the
// process keeps running until it is stopped. It cannot be undone.
func (s *Server) Drain() {
	s.reg.setDraining()
}

// Draining reports whether Drain or Shutdown was called.
func (s *Server) Draining() bool { return s.reg.isDraining() }

// Shutdown drains the server, once: the control API and heartbeats say
// draining and new rooms are refused; running rooms get
// Config.DrainTimeout to finish, then the rest are aborted (clients get
// server_draining). Then the phases end in turn (lifecycle.go): the
// listeners close and no connection is accepted; the shards return; queued
// results get Config.FlushTimeout to reach the sink; the last heartbeat
// goes; every goroutine is waited for. Last, the logger goroutine writes
// the queued log records (for at most Config.FlushTimeout: a log writer
// blocked for good is left behind, and Shutdown says so).
func (s *Server) Shutdown() error {
	if err := s.life.beginStop(); err != nil {
		return err
	}
	s.reg.setDraining()
	s.log.Info("draining", "rooms", s.reg.len(), "deadline", s.cfg.DrainTimeout)
	// Rooms still waiting for players would never start now: end them at
	// once so their players can be matched elsewhere.
	for _, r := range s.reg.rooms() {
		if r.loadState() == StateWaiting {
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
	// No room is left for a connection to play in.
	s.life.cancel(phaseAccept)
	s.mu.Lock()
	lns := s.listeners
	s.mu.Unlock()
	for _, l := range lns {
		l.Close()
	}
	s.life.cancel(phaseShards)
	// The result workers take what the shards still hand on, until the
	// flush deadline cancels them.
	s.life.close(phaseResults)
	flush := time.AfterFunc(s.cfg.FlushTimeout, func() { s.life.cancel(phaseResults) })
	ctx, cancel := context.WithTimeout(s.life.ctx(), 5*time.Second)
	err := s.admin.Shutdown(ctx)
	cancel()
	s.life.cancel(phaseAdmin)
	s.life.cancel(phaseBeats)
	s.life.stop()
	flush.Stop()
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

// createRoom builds and schedules a room for spec on the least-loaded
// shard, or returns the room already created for spec.MatchID
// (existed=true). Errors: ErrBadSpec and ErrContentVersion (the request),
// ErrDraining, ErrServerFull.
func (s *Server) createRoom(spec contract.RoomSpec) (r *room, existed bool, err error) {
	return s.createRoomOn(spec, s.leastLoadedShard())
}

// createRoomOn is createRoom onto shard sh (one of the server's, or one
// a benchmark drives itself).
func (s *Server) createRoomOn(spec contract.RoomSpec, sh *shard) (r *room, existed bool, err error) {
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
	rm := newRoom(id, spec, eng, sh.env)
	rm.shard = sh // before the registry makes the room visible
	if err := rm.registerJoinKeys(); err != nil {
		rm.forgetKeys()
		return nil, false, err
	}
	// The registry refuses a room once the server drains, under its lock:
	// no room is scheduled after Shutdown began.
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
	s.metrics.roomAdded()
	sh.add(rm)
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
