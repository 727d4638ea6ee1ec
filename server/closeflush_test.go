package server

import (
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
	"github.com/prometheus/client_golang/prometheus"
)

// recordConn is a transport.Conn that keeps every frame written to it.
type recordConn struct {
	mu     sync.Mutex
	frames [][]byte
	closed chan struct{}
	once   sync.Once
}

func (r *recordConn) ReadFrame() ([]byte, error) { <-r.closed; return nil, net.ErrClosed }
func (r *recordConn) WriteFrame(p []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.closed:
		return net.ErrClosed
	default:
	}
	r.frames = append(r.frames, slices.Clone(p))
	return nil
}
func (r *recordConn) Close() error         { r.once.Do(func() { close(r.closed) }); return nil }
func (r *recordConn) RemoteAddr() net.Addr { return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)} }
func (r *recordConn) Transport() string    { return "mem" }

// TestCloseWritesQueuedFrames: a close never overtakes frames queued
// before it. The frames and the close are queued while the writer is not
// running (as when the tick queues the held match-end events and the bye
// while the writer goroutine waits for a CPU), so the writer finds both its
// wake-up and the close pending; a writer that picks between them at random
// drops the frames about half the time, so 200 rounds catch it.
func TestCloseWritesQueuedFrames(t *testing.T) {
	ev1 := netcode.AppendEvents(nil, &netcode.EventsFrame{Tick: 20, Events: []netcode.Event{netcode.MakeEvent(1, 1)}})
	ev2 := netcode.AppendEvents(nil, &netcode.EventsFrame{Tick: 20, Events: []netcode.Event{netcode.MakeEvent(1, 2)}})
	bye := netcode.AppendBye(nil, netcode.KindServerBye, netcode.CodeNone)
	out := prometheus.NewCounter(prometheus.CounterOpts{Name: "x"})
	for round := range 200 {
		rc := &recordConn{closed: make(chan struct{})}
		c := newConn(rc, "mem", 8, out)
		c.offerControl(ev1)
		c.offerControl(ev2)
		c.closeWith(bye)
		done := make(chan struct{})
		go func() { c.writeLoop(); close(done) }()
		select {
		case <-done:
		case <-time.After(waitDeadline):
			t.Fatal("writer did not finish")
		}
		rc.mu.Lock()
		got := rc.frames
		rc.mu.Unlock()
		if len(got) != 3 || !slices.Equal(got[0], ev1) || !slices.Equal(got[1], ev2) || !slices.Equal(got[2], bye) {
			kinds := make([]string, len(got))
			for i, f := range got {
				k, _ := netcode.PeekKind(f)
				kinds[i] = fmt.Sprint(k)
			}
			t.Fatalf("round %d: writer wrote kinds %v, want events, events, bye", round, kinds)
		}
	}
}

// TestMatchEndFlushesHeldEvents: many match ends on the in-memory
// transport, with one-way latency so the end is still in flight when the
// server closes: every client reads both events frames (ticks 10 and 20,
// the second held until the result was durable) and then the bye.
func TestMatchEndFlushesHeldEvents(t *testing.T) {
	const rooms, rounds = 4, 10
	h := startHarnessLink(t, testConfig(), scriptFactory(120, 20), transport.LinkConfig{Latency: 3 * time.Millisecond})
	for r := range rooms {
		t.Run(fmt.Sprintf("room%d", r), func(t *testing.T) {
			t.Parallel()
			for k := range rounds {
				match := fmt.Sprintf("m_flush_%d_%d", r, k)
				clients := joinAll(t, h, h.create(battleSpec(match)), "mem")
				for i, rc := range clients {
					if e := rc.waitClosed(t); e != nil {
						t.Fatalf("%s client %d: closed with %v, want a bye", match, i, e)
					}
					<-rc.done // the reader saw the close: everything sent was read
					_, _, _, _, _, bye := rc.state()
					if n := rc.eventsRead(); n != 2 || !bye {
						t.Errorf("%s client %d: read %d events frames and bye=%v, want 2 then the bye", match, i, n, bye)
					}
				}
			}
		})
	}
}
