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

// playMore sends n more inputs at once, as after a resume, and waits until
// the server acknowledged all of them.
func playMore(t *testing.T, c *Client, n uint32) {
	t.Helper()
	before := c.Stats().InputsAcked
	for range n {
		if _, err := c.SendInput(netcode.Input{MoveX: 1, CastSlot: -1}); err != nil {
			t.Fatalf("input after resume: %v", err)
		}
	}
	if err := waitFor(10*time.Second, func() bool { return c.Stats().InputsAcked == before+n }); err != nil {
		t.Fatalf("inputs after resume: acked %d, want %d (stats %+v)", c.Stats().InputsAcked, before+n, c.Stats())
	}
}

// connectVerified connects a client with fastConfig through d, its
// snapshots checked against room's history by the returned verifier. The
// caller closes the client.
func connectVerified(t *testing.T, room *testRoom, d transport.Dialer) (*Client, *verifier) {
	t.Helper()
	v := &verifier{room: room}
	c, err := Connect(testCtx(t), d, fastConfig(v))
	if err != nil {
		t.Fatal(err)
	}
	return c, v
}

// maxAckDelay bounds how long an input may wait for its ack in these tests.
// Inputs are resent with every input frame and ping, so on a working client
// the wait is a few ticks; the bound is that wait with room for a loaded
// 2-core machine running the race detector, not a latency target.
const maxAckDelay = 5 * time.Second

// fullSnapshotsSettled waits until c has applied a delta snapshot, which
// means the server has its first ack, and returns the full snapshots it
// applied until then. On an ordered transport (KCP, WebSocket) and with the
// test room's long baseline ring, every snapshot after that is a delta, so
// the count must not grow again; before it, the server sends full snapshots
// for as long as the first ack takes, which depends on the machine's speed.
func fullSnapshotsSettled(t *testing.T, c *Client) uint64 {
	t.Helper()
	if err := waitFor(10*time.Second, func() bool { st := c.Stats(); return st.SnapshotsApplied > st.FullSnapshots }); err != nil {
		t.Fatalf("no delta snapshot applied: %v (stats %+v)", err, c.Stats())
	}
	return c.Stats().FullSnapshots
}

// offsetAndBound returns the client's clock offset estimate and how far it
// may be from the truth, read together under the client's lock (a pong
// arriving between two separate reads would pair one sample's offset with
// another's bound). The estimate comes from the pong with the lowest round
// trip among the last few, whose server timestamp was taken somewhere
// between the ping's send and the pong's receipt, so the error is at most
// half that round trip (plus a millisecond for microsecond rounding and
// wall-clock adjustments between the two reads).
func offsetAndBound(c *Client) (offset, bound time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	best := time.Duration(-1)
	for i := range min(c.clk.n, clockSamples) {
		if r := c.clk.samples[i].rtt; best < 0 || r < best {
			best = r
		}
	}
	return c.clk.offset(), best/2 + time.Millisecond
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
			c, v := connectVerified(t, room, mn.Dialer("room", transport.ClientConfig()))
			defer c.Close()
			first := room.tick()
			play(t, c, 100)
			ticks := room.tick() - first
			n, bad := v.result()
			if bad != nil {
				t.Fatalf("seed %d: %v", uint64(loss*1000), bad)
			}
			st := c.Stats()
			// Snapshots keep coming: at least half the room's ticks (the
			// link loses a fifth at most each way), counted against the
			// ticks the room actually ran, not against wall time.
			if n < int(ticks)/2 {
				t.Fatalf("seed %d: %d snapshots applied over %d room ticks, want at least %d (stats %+v)", uint64(loss*1000), n, ticks, ticks/2, st)
			}
			if st.MaxInputAckDelay > maxAckDelay {
				t.Fatalf("seed %d: longest input ack delay %v, want at most %v (stats %+v)", uint64(loss*1000), st.MaxInputAckDelay, maxAckDelay, st)
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
			full := fullSnapshotsSettled(t, c)
			first := room.tick()
			play(t, c, 50)
			if err := waitFor(10*time.Second, func() bool { return c.Stats().RTT > 0 }); err != nil {
				t.Fatalf("no pong: stats %+v", c.Stats())
			}
			ticks := room.tick() - first
			n, bad := v.result()
			if bad != nil {
				t.Fatal(bad)
			}
			// A reliable transport loses nothing, so snapshots keep coming:
			// at least half the ticks the room ran (a delta whose baseline
			// the client no longer holds, when an ack is slow, is skipped).
			if n < int(ticks)/2 {
				t.Fatalf("%d snapshots applied over %d room ticks, want at least %d (stats %+v)", n, ticks, ticks/2, c.Stats())
			}
			if len(events) == 0 {
				t.Fatalf("no events frame arrived over %d room ticks (one every 10)", ticks)
			}
			st := c.Stats()
			if off, bound := offsetAndBound(c); off > bound || off < -bound {
				t.Fatalf("clock offset %v on one machine, want within ±%v (half the best round trip; smoothed rtt %v)", off, bound, st.RTT)
			}
			if full == 0 || st.FullSnapshots != full {
				t.Fatalf("full snapshots: %d until the first delta, %d after %d more ticks on a reliable transport; want >= 1, then no more", full, st.FullSnapshots, ticks)
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
//
// Both drops are explicit (a close on each side), so the client's idle
// timeout is long: a slow machine must not add a resume of its own.
func TestClientResumeAcrossTransports(t *testing.T) {
	kcpD, wsD, lns := loopback(t, 10*time.Second)
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
	if tr := c.conn.Transport(); tr != "kcp" {
		t.Fatalf("connected over %s, want kcp", tr)
	}
	full := fullSnapshotsSettled(t, c)
	play(t, c, 20)

	// waitResumes waits for the client's n-th resume and returns the
	// transport it resumed on.
	waitResumes := func(n uint64) string {
		t.Helper()
		if err := waitFor(10*time.Second, func() bool { return c.Stats().Resumes >= n || c.Err() != nil }); err != nil || c.Err() != nil {
			t.Fatalf("resume %d: %v, client error %v, room tick %d (stats %+v)", n, err, c.Err(), room.tick(), c.Stats())
		}
		if got := c.Stats().Resumes; got != n {
			t.Fatalf("%d resumes, want %d: the client resumed on its own (room tick %d, stats %+v)", got, n, room.tick(), c.Stats())
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.conn.Transport()
	}

	// Drop 1: the client's link dies; it resumes over WebSocket.
	c.mu.Lock()
	old := c.conn
	c.mu.Unlock()
	old.Close()
	if tr := waitResumes(1); tr != "ws" {
		t.Fatalf("resumed over %s, want ws", tr)
	}
	c.mu.Lock()
	c.dialers = []transport.Dialer{kcpD}
	c.mu.Unlock()
	playMore(t, c, 20)

	// Drop 2: the server closes the seat's conn; the client resumes on KCP.
	room.kick(c.Welcome().ResumeToken)
	if tr := waitResumes(2); tr != "kcp" {
		t.Fatalf("resumed over %s, want kcp", tr)
	}
	playMore(t, c, 20)

	n, bad := v.result()
	if bad != nil {
		t.Fatal(bad)
	}
	st := c.Stats()
	room.mu.Lock()
	resumes := append([]netcode.Hello(nil), room.resumes...)
	room.mu.Unlock()
	if len(resumes) != 2 || resumes[0].LastAckTick == 0 || resumes[1].LastAckTick <= resumes[0].LastAckTick {
		t.Fatalf("resume hellos %+v: want 2, from a nonzero tick, the second later", resumes)
	}
	if st.FullSnapshots != full {
		t.Fatalf("full snapshots: %d before the drops, %d after resuming from ticks %d and %d: a resume fell back to a full snapshot",
			full, st.FullSnapshots, resumes[0].LastAckTick, resumes[1].LastAckTick)
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

// TestClientWaitsStatedBackoff: after a rate_limited close that states a
// back-off the client resumes no earlier than that, and gets in at the
// first try; when the close stated none but the resume is refused with
// one, it waits what the refusal says before it tries again (the seat is
// still its own: the same token resumes). Times are lower bounds only: a
// slow machine makes every wait longer, never shorter.
func TestClientWaitsStatedBackoff(t *testing.T) {
	mn, _ := transport.NewMemNetwork(transport.LinkConfig{})
	ln, _ := mn.Listen("room", transport.ServerConfig())
	defer ln.Close()
	room := newTestRoom(t, 5, 10*time.Millisecond, ln)
	defer room.close()
	cfg := fastConfig(nil)
	cfg.ResumeBackoff = 10 * time.Millisecond
	c, err := Connect(testCtx(t), mn.Dialer("room", transport.ClientConfig()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	play(t, c, 5)

	resumeAfter := func(n uint64, kicked time.Time, atLeast time.Duration) {
		t.Helper()
		if err := waitFor(10*time.Second, func() bool { return c.Stats().Resumes >= n || c.Err() != nil }); err != nil || c.Err() != nil {
			t.Fatalf("resume %d: %v, client error %v (stats %+v)", n, err, c.Err(), c.Stats())
		}
		room.mu.Lock()
		at := room.resumed[n-1]
		room.mu.Unlock()
		if d := at.Sub(kicked); d < atLeast {
			t.Fatalf("resume %d seated %v after the close, want at least %v", n, d, atLeast)
		}
	}

	// A close that states 400 ms: no resume reaches the room before it.
	const stated = 400 * time.Millisecond
	kicked := time.Now()
	room.kickRateLimited(c.Welcome().ResumeToken, stated, true)
	resumeAfter(1, kicked, stated)
	room.mu.Lock()
	refused := room.backoffRefusals
	room.mu.Unlock()
	if refused != 0 {
		t.Fatalf("%d resumes refused: the client did not wait the stated back-off", refused)
	}
	if b := c.Stats().BackedOff; b != stated {
		t.Fatalf("backed off %v, want %v", b, stated)
	}
	playMore(t, c, 5)

	// A close that states nothing: the first resume is refused with the
	// time left, and the client waits that before the next one.
	const unstated = 600 * time.Millisecond
	kicked = time.Now()
	room.kickRateLimited(c.Welcome().ResumeToken, unstated, false)
	resumeAfter(2, kicked, unstated)
	room.mu.Lock()
	refused = room.backoffRefusals
	room.mu.Unlock()
	if refused < 1 {
		t.Fatal("no resume was refused: the test did not exercise the refusal's back-off")
	}
	if refused > 2 {
		t.Fatalf("%d resumes refused during one 600 ms back-off: the client retried without waiting what the refusal said", refused)
	}
	if b := c.Stats().BackedOff; b <= stated || b > stated+unstated {
		t.Fatalf("backed off %v in all, want more than %v and at most %v", b, stated, stated+unstated)
	}
	playMore(t, c, 5)
}

// TestClientAcksBurstOncePerTick: a backlog of snapshots arriving in one
// burst (as after a stall) is acked at most once per tick of the room, the
// newest applied tick each time, ending with the newest of the burst, so
// a client catching up does not flood the server (which closes a flood
// with rate_limited). The bound is elapsed/tick + 2 (one ack at once, one
// per tick since, one by the ping after the last snapshot); a slower
// machine only loosens it, and a client acking every snapshot sends n.
func TestClientAcksBurstOncePerTick(t *testing.T) {
	mn, _ := transport.NewMemNetwork(transport.LinkConfig{})
	ln, _ := mn.Listen("room", transport.ServerConfig())
	defer ln.Close()
	const period = time.Second / 30
	room := newScriptedRoom(t, 5, period, ln)
	defer room.close()
	c, v := connectVerified(t, room, mn.Dialer("room", transport.ClientConfig()))
	defer c.Close()
	token := c.Welcome().ResumeToken

	const n = 90
	t0 := time.Now()
	last := room.burst(n)
	if err := waitFor(10*time.Second, func() bool { a := room.acksOf(token); return len(a) > 0 && a[len(a)-1] == last }); err != nil {
		t.Fatalf("no ack of the burst's newest tick %d: %v (acks %v, stats %+v)", last, err, room.acksOf(token), c.Stats())
	}
	elapsed := time.Since(t0)
	acks := room.acksOf(token)
	if got, err := v.result(); got != n || err != nil {
		t.Fatalf("applied %d snapshots of %d (%v)", got, n, err)
	}
	if most := int(elapsed/period) + 2; len(acks) > most {
		t.Fatalf("%d acks for %d snapshots in %v, want at most %d (one a %v tick): %v", len(acks), n, elapsed, most, period, acks)
	}
	for i := 1; i < len(acks); i++ {
		if acks[i] <= acks[i-1] {
			t.Fatalf("ack %d of tick %d after one of tick %d: acks not in tick order: %v", i, acks[i], acks[i-1], acks)
		}
	}

	// A lone snapshot after the burst is acked too (by the next ping): the
	// pacing settles and never holds back the newest tick.
	time.Sleep(2 * period)
	next := room.burst(1)
	if err := waitFor(10*time.Second, func() bool { a := room.acksOf(token); return a[len(a)-1] == next }); err != nil {
		t.Fatalf("the lone snapshot of tick %d was not acked: %v (acks %v)", next, err, room.acksOf(token))
	}
}
