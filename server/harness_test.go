package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/internal/testlog"
	"github.com/pantheon-oracles/pantheon/internal/testwait"
	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
)

// harness is a started server with an in-memory listener and a patient
// KCP and WebSocket pair besides its own KCP and WebSocket listeners.
type harness struct {
	t    testing.TB
	srv  *Server
	sink *MemorySink
	mem  *transport.MemNetwork
	// kcpAddr and wsURL are the patient listeners h.dialer dials; empty
	// for a harness built by hand around a server's own listeners.
	kcpAddr, wsURL string
}

// patientWrite and patientLinger are the patient listeners' write timeout
// and KCP linger. The server's own listeners use the transport defaults (a
// 5 s write timeout, a 250 ms linger): a machine loaded enough to starve a
// closed KCP session for 250 ms loses the typed error or bye it was to
// deliver (the client sees only a bare close at its idle timeout), and one
// that stretches 180 room ticks past 5 s lets a blocked writer's timeout
// pre-empt the slow-consumer close. The tests assert the typed closes, so
// they play on listeners those limits cannot reach; the limits themselves
// are netcode/transport's to test.
const (
	patientWrite  = time.Minute
	patientLinger = 5 * time.Second
)

func startHarness(t testing.TB, cfg Config, factory engineFactory) *harness {
	t.Helper()
	return startHarnessLink(t, cfg, factory, transport.LinkConfig{})
}

// startHarnessLink is startHarness with the in-memory listener's links
// configured as link says.
func startHarnessLink(t testing.TB, cfg Config, factory engineFactory, link transport.LinkConfig) *harness {
	t.Helper()
	sink := NewMemorySink()
	return startHarnessSink(t, cfg, factory, link, sink, sink)
}

// startHarnessSink starts a harness whose server submits to sink; mem is
// where sink ends up storing records (h.sink), for the test to read.
func startHarnessSink(t testing.TB, cfg Config, factory engineFactory, link transport.LinkConfig, sink ResultSink, mem *MemorySink) *harness {
	t.Helper()
	memNet, err := transport.NewMemNetwork(link)
	if err != nil {
		t.Fatal(err)
	}
	ml, err := memNet.Listen("room", transport.ServerConfig())
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.KCPKey) > 0 && cfg.KCPKeys == nil {
		cfg.KCPKeys = transport.NewKeyRing() // shared with the patient KCP listener
	}
	base := transport.ServerConfig()
	base.WriteTimeout = patientWrite
	kc := transport.DefaultKCPConfig(base)
	kc.Addr, kc.Keys, kc.Linger = "127.0.0.1:0", cfg.KCPKeys, patientLinger
	kl, err := transport.ListenKCP(kc)
	if err != nil {
		t.Fatal(err)
	}
	wc := transport.DefaultWSConfig(base)
	wc.AllowedOrigins = cfg.AllowedOrigins
	wl, err := transport.ListenWS("127.0.0.1:0", wsPath, wc)
	if err != nil {
		kl.Close()
		t.Fatal(err)
	}
	cfg.Listeners = append(cfg.Listeners,
		Listener{Transport: "mem", Listener: ml},
		Listener{Transport: "kcp", Listener: kl},
		Listener{Transport: "ws", Listener: wl})
	s, err := newServer(cfg, factory, "v-test", testModes, sink)
	if err != nil {
		for _, l := range cfg.Listeners {
			l.Listener.Close()
		}
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, srv: s, sink: mem, mem: memNet,
		kcpAddr: kl.Addr().String(), wsURL: "ws://" + wl.Addr().String() + wsPath}
	t.Cleanup(func() { h.shutdown() })
	return h
}

func (h *harness) shutdown() {
	if h.srv.reg.isDraining() {
		return
	}
	if err := h.srv.Shutdown(); err != nil {
		h.t.Errorf("shutdown: %v", err)
	}
}

// create asks the control API (over real HTTP) for a room.
func (h *harness) create(spec contract.RoomSpec) contract.RoomCreated {
	h.t.Helper()
	raw, _ := json.Marshal(spec)
	req, _ := http.NewRequest("POST", h.srv.PublicControlURL()+"/v1/rooms", strings.NewReader(string(raw)))
	req.Header.Set("Authorization", "Bearer "+testFleetSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out contract.RoomCreated
	if resp.StatusCode != 201 {
		h.t.Fatalf("create room: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		h.t.Fatal(err)
	}
	return out
}

// dialer returns a dialer for transport "kcp", "ws" or "mem": the
// patient listeners when the harness has them, else the server's own.
func (h *harness) dialer(name string) transport.Dialer { return h.keyDialer(name, nil) }

// keyDialer is dialer with KCP sealed under a seat's key (nil: plaintext).
func (h *harness) keyDialer(name string, key []byte) transport.Dialer {
	cc := transport.ClientConfig()
	switch name {
	case "kcp":
		kc := transport.DefaultKCPConfig(cc)
		kc.Key = key
		addr := h.kcpAddr
		if addr == "" {
			addr = h.srv.PublicKCPAddr()
		}
		return transport.KCPDialer{Addr: addr, Config: kc}
	case "ws":
		url := h.wsURL
		if url == "" {
			url = h.srv.PublicWSURL()
		}
		return transport.WSDialer{URL: url, Config: transport.DefaultWSConfig(cc)}
	}
	return h.mem.Dialer("room", cc)
}

// rawClient speaks the protocol with netcode's codecs directly: hello or
// resume, then it applies every snapshot to its world and acks it.
type rawClient struct {
	t    testing.TB
	c    transport.Conn
	done chan struct{}

	mu       sync.Mutex
	welcome  netcode.Welcome
	welcomed bool
	world    netcode.Snapshot
	ring     map[uint32]*netcode.Snapshot // applied snapshots by tick, for baselines
	snaps    int
	events   int
	inputAck uint32
	closeErr *netcode.ErrorFrame // error frame received, if any
	bye      bool
	readErr  error
	noAck    bool
	keep     uint32        // applied snapshots kept as baselines; default 64
	lastSnap int           // bytes of the last snapshot frame read
	stall    chan struct{} // when non-nil, the reader blocks on it (a client that stops reading)
}

func dialRaw(t testing.TB, d transport.Dialer) *rawClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := d.Dial(ctx)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	rc := &rawClient{t: t, c: c, done: make(chan struct{}), ring: make(map[uint32]*netcode.Snapshot)}
	t.Cleanup(func() { c.Close(); <-rc.done })
	return rc
}

func (rc *rawClient) hello(h netcode.Hello) {
	if h.Version == 0 {
		h.Version = netcode.Version
	}
	if err := rc.c.WriteFrame(netcode.AppendHello(nil, &h)); err != nil {
		rc.t.Fatalf("hello: %v", err)
	}
	go rc.read()
}

func (rc *rawClient) read() {
	defer close(rc.done)
	var f netcode.SnapshotFrame
	for {
		frame, err := rc.c.ReadFrame()
		if err != nil {
			rc.mu.Lock()
			rc.readErr = err
			rc.mu.Unlock()
			return
		}
		if st := rc.stallChan(); st != nil {
			<-st
		}
		kind, _ := netcode.PeekKind(frame)
		rc.mu.Lock()
		switch kind {
		case netcode.KindWelcome:
			if err := netcode.DecodeWelcome(frame, &rc.welcome); err != nil {
				rc.t.Errorf("welcome: %v", err)
			}
			rc.welcomed = true
		case netcode.KindSnapshot:
			rc.lastSnap = len(frame)
			if err := netcode.DecodeSnapshot(frame, &f); err != nil {
				rc.t.Errorf("snapshot: %v", err)
				break
			}
			var out netcode.Snapshot
			if err := netcode.Apply(rc.ring[f.Base], &f, &out); err != nil {
				rc.t.Errorf("apply snapshot %d on %d: %v", f.Tick, f.Base, err)
				break
			}
			rc.ring[out.Tick] = &out
			keep := rc.keep
			if keep == 0 {
				keep = 64
			}
			for tk := range rc.ring { // ticks the server skipped never come to be deleted by exact tick
				if tk+keep <= out.Tick {
					delete(rc.ring, tk)
				}
			}
			rc.world = out
			rc.snaps++
			rc.inputAck = f.InputAck
			if !rc.noAck {
				_ = rc.c.WriteFrame(netcode.AppendAck(nil, out.Tick))
			}
		case netcode.KindEvents:
			rc.events++
		case netcode.KindError:
			var e netcode.ErrorFrame
			if err := netcode.DecodeError(frame, &e); err == nil {
				rc.closeErr = &e
			}
		case netcode.KindServerBye:
			rc.bye = true
		default:
			// the other kinds need no bookkeeping here.
		}
		rc.mu.Unlock()
	}
}

func (rc *rawClient) stallChan() chan struct{} {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.stall
}

// keepAlive sends a ping every interval until the connection ends, as a
// live client does: the server closes a connection that sent nothing for
// its idle timeout (10 s), which a client that only listens can outlast
// when a slow machine stretches the test.
func (rc *rawClient) keepAlive(interval time.Duration) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tk := time.NewTicker(interval)
		defer tk.Stop()
		for id := uint32(1); ; id++ {
			select {
			case <-stop:
				return
			case <-rc.done:
				return
			case <-tk.C:
			}
			if rc.c.WriteFrame(netcode.AppendPing(nil, &netcode.Ping{ID: id})) != nil {
				return
			}
		}
	}()
	rc.t.Cleanup(func() { close(stop); wg.Wait() })
}

// input sends one input frame.
func (rc *rawClient) input(in ...netcode.Input) {
	rc.mu.Lock()
	ack := rc.world.Tick
	rc.mu.Unlock()
	_ = rc.c.WriteFrame(netcode.AppendInputFrame(nil, &netcode.InputFrame{AckTick: ack, Inputs: in}))
}

// state returns a copy of what the client knows.
func (rc *rawClient) state() (w netcode.Welcome, welcomed bool, world netcode.Snapshot, snaps int, closeErr *netcode.ErrorFrame, bye bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	world.CopyFrom(&rc.world)
	return rc.welcome, rc.welcomed, world, rc.snaps, rc.closeErr, rc.bye
}

// waitDeadline bounds every wait for a condition in these tests: far
// longer than anything takes on an idle machine (a KCP drop noticed through
// the 5 s write timeout is the slowest), so a loaded 2-core machine running
// the race detector fails a test only when the condition never comes.
const waitDeadline = 30 * time.Second

// waitFor polls cond every 5 ms until it holds or waitDeadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	poll(t, waitDeadline, 5*time.Millisecond, what, cond)
}

// poll is the one poll helper of these tests: it calls cond until it
// holds, every interval (0: yielding the processor between tries, for
// goroutines a tick behind), failing the test once within has passed.
// cond may fail the test itself.
func poll(t testing.TB, within, every time.Duration, what string, cond func() bool) {
	t.Helper()
	pollOr(t, within, every, what, cond, nil)
}

// waitForOr is waitFor whose timeout says what state it ended in
// (status, called once at the deadline).
func waitForOr(t testing.TB, what string, cond func() bool, status func() string) {
	t.Helper()
	pollOr(t, waitDeadline, 5*time.Millisecond, what, cond, status)
}

// pollOr is poll whose timeout adds status() (when not nil): the module's
// one poll helper, testwait.For.
func pollOr(t testing.TB, within, every time.Duration, what string, cond func() bool, status func() string) {
	t.Helper()
	testwait.For(t, within, every, what, cond, status)
}

// captureLog points cfg's logger (info and up) at memory and, when the test
// fails, logs the last 80 lines, so a failure says what the server did.
func captureLog(t testing.TB, cfg *Config) *testlog.Buffer {
	l := &testlog.Buffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelInfo}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log, last 80 lines:\n%s", l.Tail(80))
		}
	})
	return l
}

// waitClosed waits until the server sent an error or bye frame or closed
// the connection, and returns the error frame (nil for a bye or a bare
// close). Over KCP a close is only seen through that last frame.
func (rc *rawClient) waitClosed(t testing.TB) *netcode.ErrorFrame {
	t.Helper()
	waitFor(t, "server closing the connection", func() bool {
		select {
		case <-rc.done:
			return true
		default:
		}
		_, _, _, _, e, bye := rc.state()
		return e != nil || bye
	})
	_, _, _, _, e, _ := rc.state()
	return e
}

func (rc *rawClient) readError() error {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.readErr
}

func (rc *rawClient) waitWelcome(t testing.TB) netcode.Welcome {
	t.Helper()
	waitFor(t, "welcome", func() bool {
		_, ok, _, _, e, _ := rc.state()
		if e != nil {
			t.Fatalf("refused: %v", e)
		}
		return ok
	})
	w, _, _, _, _, _ := rc.state()
	return w
}

func seatSpecs(n, teams int) []contract.SeatSpec {
	out := make([]contract.SeatSpec, n)
	for i := range out {
		out[i] = contract.SeatSpec{Seat: i, PlayerID: fmt.Sprintf("p_%d", i), Team: i % teams, Oracle: ecs.OracleSpec{Archetype: "aries", Role: "host"}}
	}
	return out
}

func testContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), waitDeadline)
}

// metricValue reads a counter or gauge from the server's registry: the
// sample of family name whose (single) label value is label, or the
// unlabelled sample when label is "".
func (s *Server) metricValue(name, label string) float64 { return s.metrics.value(name, label) }

// value is metricValue on the instruments themselves (a room's env).
func (m *metrics) value(name, label string) float64 {
	fams, err := m.reg.Gather()
	if err != nil {
		return -1
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if label != "" && (len(m.GetLabel()) == 0 || m.GetLabel()[0].GetValue() != label) {
				continue
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

// seatsFromBots turns ecs seats (from bot.Seats) into a room spec's seats.
func seatsFromBots(seats []ecs.Seat) []contract.SeatSpec {
	var out []contract.SeatSpec
	for _, st := range seats {
		out = append(out, contract.SeatSpec{Seat: st.Seat, PlayerID: st.PlayerID, Team: st.Team, Oracle: st.Oracle})
	}
	return out
}
