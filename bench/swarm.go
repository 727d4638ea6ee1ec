package bench

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
	"golang.org/x/time/rate"
)

// swarm runs the bots of a lobby or direct scenario: it follows the
// stages' target bot count, starts bots (paced by the login rate or the
// connect concurrency), retires the newest when the target falls, and
// ends every bot when the stages are over.
type swarm struct {
	r       resolved
	sc      Scenario
	content *content.Bundle
	col     *collector
	sched   *scheduler
	net     *netem // nil without network conditions
	httpc   *http.Client
	stamp   int64
	connSem chan struct{} // bounds connects (and logins) in flight

	wg        sync.WaitGroup
	mu        sync.Mutex
	units     []*unit // started, in order; retired from the end
	nBots     int     // bots started (mode and transport picks use it)
	modeCount []int   // bots (direct: rooms) started per mode
	ids       map[string]bool
	idList    []string
}

// unit is what the ramp starts and retires: one bot (lobby) or one room's
// bots (direct).
type unit struct {
	bots   int
	retire chan struct{}
	done   chan struct{}
	once   sync.Once
}

func (u *unit) stop() { u.once.Do(func() { close(u.retire) }) }

// botSpec is one bot's fixed choices.
type botSpec struct {
	n    int
	mode ModeShare
	kcp  bool
	ks   *keyStats
}

func newSwarm(r resolved, content *content.Bundle, col *collector, nm *netem) *swarm {
	return &swarm{r: r, sc: r.sc, content: content, col: col, net: nm,
		sched: newScheduler(r.sc.Behaviour.InputHz, col),
		httpc: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 30 * time.Second,
		}},
		stamp: time.Now().UnixNano(), connSem: make(chan struct{}, r.sc.Concurrency), ids: map[string]bool{}}
}

// pick returns the next bot's mode and transport: modes by smooth
// weighted round robin over their shares (after any k bots each mode has
// its share to within one bot), KCP for a running share of each mode's
// bots (so that every mode gets both transports, whatever the shares).
func (s *swarm) pick() (ModeShare, bool) {
	s.mu.Lock()
	if s.modeCount == nil {
		s.modeCount = make([]int, len(s.sc.Modes))
	}
	total, picked := 0, 0
	for _, c := range s.modeCount {
		total += c
	}
	sum := 0.0
	for _, m := range s.sc.Modes {
		sum += m.Share
	}
	best := -1.0
	for i, m := range s.sc.Modes {
		if deficit := m.Share/sum*float64(total+1) - float64(s.modeCount[i]); deficit > best {
			best, picked = deficit, i
		}
	}
	s.modeCount[picked]++
	nth := s.modeCount[picked] - 1
	s.mu.Unlock()
	return s.sc.Modes[picked], s.transportOf(nth)
}

// transportOf says whether the n-th bot of a sequence (a mode's, see
// pick; a room's seats) is on KCP: a running share of the sequence.
func (s *swarm) transportOf(n int) bool {
	k := s.sc.Transport.kcpShare()
	return int(float64(n+1)*k+1e-9) > int(float64(n)*k+1e-9)
}

func (s *swarm) spec(mode ModeShare, kcp bool) botSpec {
	tr := "ws"
	if kcp {
		tr = "kcp"
	}
	s.mu.Lock()
	n := s.nBots
	s.nBots++
	s.mu.Unlock()
	ks := s.col.key(mode.Mode, tr)
	ks.bots.Add(1)
	return botSpec{n: n, mode: mode, kcp: kcp, ks: ks}
}

// noteMatch records a match the bots joined.
func (s *swarm) noteMatch(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ids[id] {
		s.ids[id] = true
		s.col.matches.Add(1)
		if len(s.idList) < maxReportedMatches {
			s.idList = append(s.idList, id)
		}
	}
}

// run drives the ramp until the stages end (or, for play_once, every bot
// is done) or ctx ends, then ends every bot and waits for them.
func (s *swarm) run(ctx context.Context) {
	start := time.Now()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	schedCtx, stopSched := context.WithCancel(context.Background())
	schedDone := make(chan struct{})
	go func() { s.sched.run(schedCtx); close(schedDone) }()
	defer func() { stopSched(); <-schedDone }()

	var lim *rate.Limiter
	if s.sc.LoginRate > 0 && s.sc.Kind == KindLobby {
		lim = rate.NewLimiter(rate.Limit(s.sc.LoginRate), 1)
	}
	length := s.sc.Length()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		el := time.Since(start)
		if s.sc.Behaviour.PlayOnce {
			if s.startedBots() >= s.sc.PeakBots() && s.allDone() {
				break
			}
		} else if el >= length {
			break
		}
		want := s.sc.target(min(el, length))
		if s.sc.Behaviour.PlayOnce {
			want = s.sc.PeakBots()
		}
		s.adjust(runCtx, want, lim)
		select {
		case <-ctx.Done():
		case <-tick.C:
			continue
		}
		break
	}
	stop()
	s.wg.Wait()
}

func (s *swarm) startedBots() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nBots
}

func (s *swarm) allDone() bool {
	s.mu.Lock()
	units := s.units
	s.mu.Unlock()
	for _, u := range units {
		select {
		case <-u.done:
		default:
			return false
		}
	}
	return true
}

// adjust starts units until the active bots reach want (one per call when
// paced), or retires the newest above it.
func (s *swarm) adjust(ctx context.Context, want int, lim *rate.Limiter) {
	s.mu.Lock()
	active := 0
	for _, u := range s.units {
		select {
		case <-u.retire:
		default:
			active += u.bots
		}
	}
	s.mu.Unlock()
	for active < want && ctx.Err() == nil {
		if s.sc.Behaviour.PlayOnce && s.startedBots() >= want {
			return
		}
		if lim != nil && !lim.Allow() {
			return
		}
		u := s.startUnit(ctx)
		active += u.bots
	}
	if active <= want {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.units) - 1; i >= 0 && active > want; i-- {
		u := s.units[i]
		select {
		case <-u.retire:
			continue
		default:
		}
		if active-u.bots < want && s.sc.Kind == KindDirect {
			break // a room is not split: keep it rather than undershoot
		}
		u.stop()
		active -= u.bots
	}
}

// startUnit starts one bot (lobby) or one room of bots (direct).
func (s *swarm) startUnit(ctx context.Context) *unit {
	u := &unit{retire: make(chan struct{}), done: make(chan struct{})}
	s.mu.Lock()
	n := s.nBots
	s.mu.Unlock()
	mode, kcp := s.pick()
	if s.sc.Kind == KindDirect {
		size := roomSize(s.content, mode)
		specs := make([]botSpec, size)
		for i := range specs {
			specs[i] = s.spec(mode, s.transportOf(n+i))
		}
		u.bots = size
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer close(u.done)
			s.directRoom(ctx, u, mode, specs)
		}()
	} else {
		b := s.spec(mode, kcp)
		u.bots = 1
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer close(u.done)
			s.lobbyBot(ctx, u, b)
		}()
	}
	s.mu.Lock()
	s.units = append(s.units, u)
	s.mu.Unlock()
	return u
}

// roomSize is the seats of the rooms the bench creates for mode.
func roomSize(c *content.Bundle, m ModeShare) int {
	if m.RoomSize > 0 {
		return m.RoomSize
	}
	md, ok := c.Mode(m.Mode)
	if !ok {
		return 2
	}
	switch md.Kind {
	case "battle":
		return int(md.Teams * md.TeamSize)
	case "raid":
		return 8
	}
	return int(md.MaxPlayers)
}

// stopped reports whether the bot should stop: the run is over or its unit
// was retired.
func stopped(ctx context.Context, u *unit) bool {
	if ctx.Err() != nil {
		return true
	}
	select {
	case <-u.retire:
		return true
	default:
		return false
	}
}

// sleep waits d, or less when the bot must stop.
func sleep(ctx context.Context, u *unit, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-u.retire:
	case <-t.C:
	}
}

// acquire takes a connect slot; false when ctx ended first.
func (s *swarm) acquire(ctx context.Context) bool {
	select {
	case s.connSem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (s *swarm) release() { <-s.connSem }

// dialers returns the dialers of a room's endpoints, the bot's own
// transport first, through the network proxy when the scenario has one.
func (s *swarm) dialers(kcpAddr, wsURL, kcpKey string, kcp bool) ([2]transport.Dialer, error) {
	var out [2]transport.Dialer
	if err := s.r.checkAddr(kcpAddr); err != nil {
		return out, err
	}
	if err := s.r.checkURL(wsURL); err != nil {
		return out, err
	}
	if s.net != nil {
		var err error
		if kcpAddr, err = s.net.udpFront(kcpAddr); err != nil {
			return out, err
		}
		if wsURL, err = s.net.wsFront(wsURL); err != nil {
			return out, err
		}
	}
	kc := transport.DefaultKCPConfig(transport.ClientConfig())
	if kcpKey != "" {
		key, err := base64.StdEncoding.DecodeString(kcpKey)
		if err != nil {
			return out, fmt.Errorf("bench: kcp key: %w", err)
		}
		kc.Key = key
	}
	k := transport.KCPDialer{Addr: kcpAddr, Config: kc}
	w := transport.WSDialer{URL: wsURL, Config: transport.DefaultWSConfig(transport.ClientConfig())}
	if kcp {
		out[0], out[1] = k, w
	} else {
		out[0], out[1] = w, k
	}
	return out, nil
}

// play runs a connected player under the scheduler until it stops, and
// records how it ended. finished reports a match the server ended.
func (s *swarm) play(ctx context.Context, p *player) (finished bool) {
	// A retired bot finishes its match (unless the run ends first).
	s.sched.add(p)
	cause, err := p.wait(ctx)
	s.sched.remove(p)
	p.close()
	s.col.disconnect(cause)
	if err != nil {
		s.col.fail("play: "+cause, err)
	}
	if cause == "match_end" {
		s.col.finished.Add(1)
		return true
	}
	return false
}

// stepErr classifies a failed step for the error counts: the lobby's
// error code when it answered with one.
func stepErr(step string, err error) string {
	var le *lobbyError
	if errors.As(err, &le) {
		return step + ": " + le.Code
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.Timeout() {
		return step + ": timeout"
	}
	return step
}
