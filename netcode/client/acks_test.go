package client

import (
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
)

// fakeTime is a synthetic timeSource: time moves only when the test calls
// advance, which runs the callbacks of the timers that came due, in order,
// on the caller's goroutine.
type fakeTime struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	ft    *fakeTime
	at    time.Time
	f     func()
	armed bool
}

func newFakeTime() *fakeTime { return &fakeTime{now: time.Unix(1_700_000_000, 0)} }

func (ft *fakeTime) Now() time.Time {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	return ft.now
}

func (ft *fakeTime) AfterFunc(d time.Duration, f func()) timer {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	t := &fakeTimer{ft: ft, at: ft.now.Add(d), f: f, armed: true}
	ft.timers = append(ft.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.ft.mu.Lock()
	defer t.ft.mu.Unlock()
	was := t.armed
	t.armed = false
	return was
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.ft.mu.Lock()
	defer t.ft.mu.Unlock()
	was := t.armed
	t.at, t.armed = t.ft.now.Add(d), true
	return was
}

// advance moves the clock by d and runs every timer that came due.
func (ft *fakeTime) advance(d time.Duration) {
	ft.mu.Lock()
	ft.now = ft.now.Add(d)
	var due []*fakeTimer
	for _, t := range ft.timers {
		if t.armed && !t.at.After(ft.now) {
			t.armed = false
			due = append(due, t)
		}
	}
	ft.mu.Unlock()
	sort.Slice(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, t := range due {
		t.f()
	}
}

// ackRig is a client on a synthetic clock against a scripted room over a
// lossless in-memory link, stepped one tick at a time by the test.
type ackRig struct {
	t      *testing.T
	room   *testRoom
	c      *Client
	ft     *fakeTime
	token  string
	marks  chan uint32
	period time.Duration
}

func newAckRig(t *testing.T) *ackRig {
	mn, _ := transport.NewMemNetwork(transport.LinkConfig{})
	ln, _ := mn.Listen("room", transport.ServerConfig())
	t.Cleanup(func() { ln.Close() })
	g := &ackRig{t: t, ft: newFakeTime(), marks: make(chan uint32, 1024), period: time.Second / 30}
	g.room = newScriptedRoom(t, 5, g.period, ln)
	t.Cleanup(g.room.close)
	cfg := fastConfig(&verifier{room: g.room})
	cfg.PingInterval = time.Hour // on the synthetic clock: only when the test advances it that far
	cfg.OnEvents = func(f *netcode.EventsFrame) { g.marks <- f.Tick }
	c, err := connect(testCtx(t), mn.Dialer("room", transport.ClientConfig()), cfg, g.ft)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	g.c, g.token = c, c.Welcome().ResumeToken
	return g
}

// step sends one tick's snapshot and waits until the client has handled
// it (its acks included), returning the tick.
func (g *ackRig) step() uint32 {
	g.t.Helper()
	tick := g.room.stepMarked()
	for {
		select {
		case got := <-g.marks:
			if got == tick {
				return tick
			}
		case <-time.After(10 * time.Second):
			g.t.Fatalf("tick %d: the client did not handle the snapshot (stats %+v)", tick, g.c.Stats())
		}
	}
}

// settle waits until the room has read every input and ack frame the
// client wrote, so its next snapshot is encoded against the newest ack.
func (g *ackRig) settle() {
	g.t.Helper()
	if err := waitFor(10*time.Second, func() bool {
		st := g.c.Stats()
		return uint64(len(g.room.inputAcksOf(g.token))) == st.InputFrames && uint64(len(g.room.acksOf(g.token))) == st.AcksSent
	}); err != nil {
		g.t.Fatalf("the room did not read the client's frames: %v (stats %+v)", err, g.c.Stats())
	}
}

// TestClientInputFramesCarryAcks: a client that sends one input a tick
// for n ticks writes n input frames, each acking the tick just applied,
// and a single ack frame (of the first, full, snapshot, which the server
// would otherwise repeat until it hears an ack): n+1 frames, not 2n.
func TestClientInputFramesCarryAcks(t *testing.T) {
	g := newAckRig(t)
	const n = 90
	var ticks []uint32
	for i := range n {
		tick := g.step()
		ticks = append(ticks, tick)
		if _, err := g.c.SendInput(netcode.Input{MoveX: int32(i % 3), CastSlot: -1}); err != nil {
			t.Fatal(err)
		}
		g.settle()
		g.ft.advance(g.period)
	}
	inAcks, acks := g.room.inputAcksOf(g.token), g.room.acksOf(g.token)
	if len(inAcks) != n {
		t.Fatalf("%d input frames for %d inputs", len(inAcks), n)
	}
	for i, a := range inAcks {
		if a != ticks[i] {
			t.Fatalf("input frame %d acks tick %d, want the tick just applied, %d", i, a, ticks[i])
		}
	}
	if len(acks) != 1 || acks[0] != ticks[0] {
		t.Fatalf("ack frames %v, want only [%d] (the first snapshot, full): the input frames carry the acks", acks, ticks[0])
	}
	if st := g.c.Stats(); st.InputFrames != n || st.AcksSent != 1 || st.FullSnapshots != 1 {
		t.Fatalf("stats %+v: want %d input frames, 1 ack, 1 full snapshot", st, n)
	}
}

// TestClientIdleAcks: a client that sends no inputs acks alone, at most
// once a tick and at least every third tick (once the newest applied tick
// has waited 1.5 ticks for a frame to carry it, checked as snapshots
// arrive); once snapshots stop, its next ping acks the newest.
func TestClientIdleAcks(t *testing.T) {
	g := newAckRig(t)
	const n = 90
	first := uint32(0)
	for range n {
		tick := g.step()
		if first == 0 {
			first = tick
		}
		g.settle()
		g.ft.advance(g.period)
	}
	last := g.room.tick()
	acks := g.room.acksOf(g.token)
	if len(acks) == 0 || acks[0] != first {
		t.Fatalf("acks %v: want the first (full) snapshot %d acked at once", acks, first)
	}
	for i := 1; i < len(acks); i++ {
		if d := acks[i] - acks[i-1]; d < 1 || d > 3 {
			t.Fatalf("acks %v: ticks %d and %d %d apart, want 1 to 3 (at most one a tick, at least every third)", acks, acks[i-1], acks[i], d)
		}
	}
	if gap := last - acks[len(acks)-1]; gap > 2 {
		t.Fatalf("acks %v: the newest acked tick is %d behind the newest tick %d", acks, gap, last)
	}
	if in := g.room.inputAcksOf(g.token); len(in) != 0 {
		t.Fatalf("%d input frames from a client that sent no input", len(in))
	}
	if st := g.c.Stats(); st.FullSnapshots != 1 {
		t.Fatalf("%d full snapshots, want 1 (stats %+v)", st.FullSnapshots, st)
	}
	t.Logf("%d acks over %d ticks: %v", len(acks), n, acks)

	// A lone snapshot after the stream stopped: acked by the next ping.
	lone := g.step()
	g.ft.advance(time.Hour)
	if err := waitFor(10*time.Second, func() bool { a := g.room.acksOf(g.token); return a[len(a)-1] == lone }); err != nil {
		t.Fatalf("the lone snapshot of tick %d was not acked by the ping: %v (acks %v)", lone, err, g.room.acksOf(g.token))
	}
}
