package client

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
)

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func fastConfig(v *verifier) Config {
	cfg := DefaultConfig("ticket")
	cfg.HelloRetry, cfg.PingInterval = 50*time.Millisecond, 50*time.Millisecond
	cfg.ResumeBackoff = 20 * time.Millisecond
	if v != nil {
		cfg.OnSnapshot = v.onSnapshot
	}
	return cfg
}

// play sends n inputs, one per room tick, then waits until all are acked.
func play(t *testing.T, c *Client, n int) {
	t.Helper()
	tk := time.NewTicker(10 * time.Millisecond)
	defer tk.Stop()
	for i := range n {
		<-tk.C
		if _, err := c.SendInput(netcode.Input{MoveX: int32(i % 3), MoveY: 1, CastSlot: -1}); err != nil {
			t.Fatal(err)
		}
	}
	if err := waitFor(10*time.Second, func() bool { return c.Stats().InputsAcked == uint32(n) }); err != nil {
		t.Fatalf("inputs acked %d of %d: %v (stats %+v)", c.Stats().InputsAcked, n, err, c.Stats())
	}
}

// TestClientOverLossyLinks: over the in-memory link at 1%, 5% and 20% loss
// (with latency, jitter, duplication and reordering), every snapshot the
// client reports equals the server's world at that tick, snapshots keep
// coming, and every input is acknowledged with bounded delay.
func TestClientOverLossyLinks(t *testing.T) {
	for _, loss := range []float64{0.01, 0.05, 0.20} {
		t.Run(fmt.Sprintf("loss=%v", loss), func(t *testing.T) {
			mn, err := transport.NewMemNetwork(transport.LinkConfig{
				Loss: loss, Duplicate: 0.02, Reorder: 0.05,
				Latency: 5 * time.Millisecond, Jitter: 5 * time.Millisecond, Seed: uint64(loss * 1000),
			})
			if err != nil {
				t.Fatal(err)
			}
			ln, err := mn.Listen("room", transport.ServerConfig())
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			room := newTestRoom(t, 30, 10*time.Millisecond, ln)
			defer room.close()
			v := &verifier{room: room}
			c, err := Connect(testCtx(t), mn.Dialer("room", transport.ClientConfig()), fastConfig(v))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			play(t, c, 100)
			n, bad := v.result()
			if bad != nil {
				t.Fatal(bad)
			}
			st := c.Stats()
			if n < 50 {
				t.Fatalf("only %d snapshots applied (stats %+v)", n, st)
			}
			if st.MaxInputAckDelay > 2*time.Second {
				t.Fatalf("input ack delay %v", st.MaxInputAckDelay)
			}
			t.Logf("loss %v: %d snapshots applied (%d full, %d stale, %d without baseline), input ack delay avg %v max %v, rtt %v",
				loss, n, st.FullSnapshots, st.StaleSnapshots, st.MissingBaseline, st.AvgInputAckDelay, st.MaxInputAckDelay, st.RTT)
		})
	}
}

// loopback starts real KCP and WebSocket listeners on 127.0.0.1:0 and
// returns dialers for both.
func loopback(t *testing.T, idle time.Duration) (kcpD, wsD transport.Dialer, lns []transport.Listener) {
	t.Helper()
	kc := transport.DefaultKCPConfig(transport.ServerConfig())
	kc.Addr = "127.0.0.1:0"
	kl, err := transport.ListenKCP(kc)
	if err != nil {
		t.Fatal(err)
	}
	wl, err := transport.ListenWS("127.0.0.1:0", "/v1/play", transport.DefaultWSConfig(transport.ServerConfig()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kl.Close(); wl.Close() })
	cc := transport.ClientConfig()
	cc.IdleTimeout = idle
	kd := transport.DefaultKCPConfig(cc)
	return transport.KCPDialer{Addr: kl.Addr().String(), Config: kd},
		transport.WSDialer{URL: "ws://" + wl.Addr().String() + "/v1/play", Config: transport.DefaultWSConfig(cc)},
		[]transport.Listener{kl, wl}
}

// TestClientLoopback: over real KCP and WebSocket listeners every snapshot
// is correct, inputs are acked, events arrive, and ping/pong yields an RTT
// and a clock offset near zero (same machine).
func TestClientLoopback(t *testing.T) {
	kcpD, wsD, lns := loopback(t, 2*time.Second)
	room := newTestRoom(t, 30, 10*time.Millisecond, lns...)
	defer room.close()
	for name, d := range map[string]transport.Dialer{"kcp": kcpD, "ws": wsD} {
		t.Run(name, func(t *testing.T) {
			v := &verifier{room: room}
			cfg := fastConfig(v)
			events := make(chan uint32, 1000)
			cfg.OnEvents = func(f *netcode.EventsFrame) {
				select {
				case events <- f.Tick:
				default:
				}
			}
			c, err := Connect(testCtx(t), d, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			play(t, c, 50)
			if err := waitFor(5*time.Second, func() bool { return c.Stats().RTT > 0 }); err != nil {
				t.Fatal("no pong")
			}
			n, bad := v.result()
			if bad != nil || n < 30 {
				t.Fatalf("%d snapshots, %v", n, bad)
			}
			if len(events) == 0 {
				t.Fatal("no events frame arrived")
			}
			st := c.Stats()
			if st.ClockOffset > 50*time.Millisecond || st.ClockOffset < -50*time.Millisecond {
				t.Fatalf("clock offset %v on one machine", st.ClockOffset)
			}
			if st.FullSnapshots != 1 {
				t.Fatalf("%d full snapshots on a reliable transport, want 1", st.FullSnapshots)
			}
			var w netcode.Snapshot
			if tick := c.World(&w); tick == 0 || len(w.Entities) == 0 {
				t.Fatal("World is empty")
			}
		})
	}
}

// TestClientResumeAcrossTransports: a client on KCP drops and resumes on
// WebSocket, then is dropped by the server and resumes on KCP; each resume
// presents the last applied tick, the server continues with a delta
// against it (no full snapshot), and every snapshot stays correct.
func TestClientResumeAcrossTransports(t *testing.T) {
	kcpD, wsD, lns := loopback(t, 500*time.Millisecond)
	room := newTestRoom(t, 30, 10*time.Millisecond, lns...)
	defer room.close()
	v := &verifier{room: room}
	cfg := fastConfig(v)
	cfg.ResumeDialers = []transport.Dialer{wsD}
	c, err := Connect(testCtx(t), kcpD, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.conn.Transport() != "kcp" {
		t.Fatalf("connected over %s", c.conn.Transport())
	}
	play(t, c, 20)

	// Drop 1: the client's link dies; it resumes over WebSocket.
	c.mu.Lock()
	old := c.conn
	c.mu.Unlock()
	old.Close()
	if err := waitFor(10*time.Second, func() bool { return c.Stats().Resumes == 1 }); err != nil {
		t.Fatalf("no resume: %v", c.Err())
	}
	c.mu.Lock()
	tr := c.conn.Transport()
	c.dialers = []transport.Dialer{kcpD}
	c.mu.Unlock()
	if tr != "ws" {
		t.Fatalf("resumed over %s, want ws", tr)
	}
	play2 := func() {
		before := c.Stats().InputsAcked
		for range 20 {
			if _, err := c.SendInput(netcode.Input{MoveX: 1, CastSlot: -1}); err != nil {
				t.Fatal(err)
			}
		}
		if err := waitFor(10*time.Second, func() bool { return c.Stats().InputsAcked == before+20 }); err != nil {
			t.Fatalf("inputs after resume not acked: %+v", c.Stats())
		}
	}
	play2()

	// Drop 2: the server closes the seat's conn; the client resumes on KCP.
	room.kick(c.Welcome().ResumeToken)
	if err := waitFor(10*time.Second, func() bool { return c.Stats().Resumes == 2 }); err != nil {
		t.Fatalf("no second resume: %v", c.Err())
	}
	play2()

	n, bad := v.result()
	if bad != nil {
		t.Fatal(bad)
	}
	st := c.Stats()
	room.mu.Lock()
	resumes := append([]netcode.Hello(nil), room.resumes...)
	room.mu.Unlock()
	if len(resumes) != 2 || resumes[0].LastAckTick == 0 || resumes[1].LastAckTick <= resumes[0].LastAckTick {
		t.Fatalf("resume hellos %+v", resumes)
	}
	if st.FullSnapshots != 1 {
		t.Fatalf("%d full snapshots: a resume fell back to a full snapshot", st.FullSnapshots)
	}
	t.Logf("%d snapshots over kcp -> ws -> kcp; resumed from ticks %d and %d", n, resumes[0].LastAckTick, resumes[1].LastAckTick)
}

// TestClientRefused: a refused hello surfaces as the server's typed error.
func TestClientRefused(t *testing.T) {
	mn, _ := transport.NewMemNetwork(transport.LinkConfig{})
	ln, _ := mn.Listen("room", transport.ServerConfig())
	defer ln.Close()
	room := newTestRoom(t, 3, 10*time.Millisecond, ln)
	defer room.close()
	_, err := Connect(testCtx(t), mn.Dialer("room", transport.ClientConfig()), DefaultConfig("bad"))
	var ef *netcode.ErrorFrame
	if !errors.As(err, &ef) || ef.Code != netcode.CodeBadTicket {
		t.Fatalf("got %v", err)
	}
}

// TestClientCloseLeavesNothing: many clients on every transport connect,
// run and close; afterwards the process has the goroutines it started with.
func TestClientCloseLeavesNothing(t *testing.T) {
	kcpD, wsD, lns := loopback(t, 2*time.Second)
	mn, _ := transport.NewMemNetwork(transport.LinkConfig{Latency: time.Millisecond})
	ml, _ := mn.Listen("room", transport.ServerConfig())
	lns = append(lns, ml)
	room := newTestRoom(t, 10, 10*time.Millisecond, lns...)
	defer room.close()
	// Warm kcp-go's process-wide goroutines before counting.
	if c, err := Connect(testCtx(t), kcpD, fastConfig(nil)); err == nil {
		c.Close()
	}
	runtime.GC()
	before := runtime.NumGoroutine()
	var clients []*Client
	for i := range 60 {
		d := []transport.Dialer{kcpD, wsD, mn.Dialer("room", transport.ClientConfig())}[i%3]
		c, err := Connect(testCtx(t), d, fastConfig(nil))
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	for _, c := range clients {
		if _, err := c.SendInput(netcode.Input{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range clients {
		c.Close()
		select {
		case <-c.Done():
		default:
			t.Fatal("Done not closed after Close")
		}
		if !errors.Is(c.Err(), ErrClosed) {
			t.Fatalf("Err after Close: %v", c.Err())
		}
		if _, err := c.SendInput(netcode.Input{}); !errors.Is(err, ErrClosed) {
			t.Fatalf("SendInput after Close: %v", err)
		}
	}
	// The room's per-session goroutines end as the closes reach it; the
	// KCP sessions linger 250 ms to deliver the bye.
	if err := waitFor(10*time.Second, func() bool { return runtime.NumGoroutine() <= before }); err != nil {
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutines %d, before %d\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
	}
}
