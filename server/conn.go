package server

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
	"github.com/prometheus/client_golang/prometheus"
)

// conn is the server side of one client connection. Three goroutines touch
// it, each through a bounded structure with a written overflow policy:
//
//   - its reader (readLoop) decodes frames and appends inputs to inbox;
//     overflow drops the input and counts it (inbox_full);
//   - its room's shard drains inbox once per tick and offers each snapshot
//     to the one-slot mailbox: latest wins, and a snapshot still untaken
//     after Config.SlowConsumerTicks ticks closes the connection with
//     slow_consumer; other frames (welcome, events, pong) are copied into
//     a small control queue of buffers the connection owns and reuses
//     (no allocation per frame in steady state), whose overflow also
//     closes with slow_consumer;
//   - its writer (writeLoop) takes frames out and writes them, so a slow
//     socket stalls only this goroutine, never the tick.
type conn struct {
	w         transport.Conn
	transport string // "kcp", "ws" or "mem"
	bytesOut  prometheus.Counter
	// snapshotsOut counts snapshot frames written; nil in tests that build
	// a conn by hand.
	snapshotsOut prometheus.Counter

	// inbox, guarded by inMu: inputs not yet taken by the room, ascending
	// by Seq (the reader drops duplicates and old sequence numbers).
	inMu    sync.Mutex
	inbox   []netcode.Input
	inSpare []netcode.Input
	inCap   int

	ackTick atomic.Uint32 // newest snapshot tick the client acknowledged

	// outbox, guarded by outMu.
	outMu     sync.Mutex
	snap      []byte   // pending snapshot frame; nil when taken
	snapFree  []byte   // a buffer the room may fill next
	ctrl      [][]byte // pending control frames, in order, in buffers of the conn
	ctrlSpare [][]byte // written control buffers for reuse (at most maxSpareCtrl)
	final     []byte   // error or bye frame written last, then the socket closes
	wake      chan struct{}

	closing   chan struct{} // closed by close(): the writer flushes final and exits
	closeOnce sync.Once
	closed    atomic.Bool // set once the connection is unusable (either side)

	// Admission: the room closes admitted once it seated the connection;
	// room and startSeq are written before that and read after it.
	admitted chan struct{}
	room     *room
	startSeq uint32 // the seat's newest input sequence at admission

	// welcome is a copy of the last welcome queued, for answering a
	// duplicated hello; guarded by outMu.
	welcome []byte
	// retryAt is when the back-off of a rate_limited close ends (zero for
	// any other close): the seat refuses new connections until then.
	// Guarded by outMu.
	retryAt time.Time

	// Owned by the room's shard.
	behind int // consecutive ticks a snapshot was left untaken
}

// maxCtrlFrames bounds a connection's control queue.
const maxCtrlFrames = 64

// maxSpareCtrl and maxSpareCtrlBytes bound the written control buffers a
// connection keeps for reuse: enough for the frames of a few ticks, and no
// buffer grown by an outsized frame (a burst of events).
const (
	maxSpareCtrl      = 4
	maxSpareCtrlBytes = 16 << 10
)

// closeGrace is how long a closing connection's writer gets to send the
// frames still queued and its last frame before the transport is closed
// under it (a slow consumer's writer may be stuck in a write to a full
// socket).
const closeGrace = time.Second

func newConn(w transport.Conn, transport string, inboxSize int, bytesOut prometheus.Counter) *conn {
	return &conn{
		w: w, transport: transport, bytesOut: bytesOut,
		inCap:    inboxSize,
		inbox:    make([]netcode.Input, 0, inboxSize),
		inSpare:  make([]netcode.Input, 0, inboxSize),
		wake:     make(chan struct{}, 1),
		closing:  make(chan struct{}),
		admitted: make(chan struct{}),
	}
}

// admit records that r seated the connection whose seat last handed the
// engine input lastSeq, and releases the reader. Called once, by the room.
func (c *conn) admit(r *room, lastSeq uint32) {
	c.room = r
	c.startSeq = lastSeq
	close(c.admitted)
}

// push appends an input to the inbox; false means it was full and the input
// was dropped.
func (c *conn) push(in netcode.Input) bool {
	c.inMu.Lock()
	defer c.inMu.Unlock()
	if len(c.inbox) >= c.inCap {
		return false
	}
	c.inbox = append(c.inbox, in)
	return true
}

// takeInputs swaps the inbox out and returns its inputs; the slice is valid
// until the next takeInputs. Called by the room's shard only.
func (c *conn) takeInputs() []netcode.Input {
	c.inMu.Lock()
	out := c.inbox
	c.inbox = c.inSpare[:0]
	c.inSpare = out
	c.inMu.Unlock()
	return out
}

// offerSnapshot copies frame into the mailbox, replacing an untaken one
// (latest wins), and reports whether the previous one was still untaken.
func (c *conn) offerSnapshot(frame []byte) (replaced bool) {
	c.outMu.Lock()
	buf := c.snapFree
	c.snapFree = nil
	if c.snap != nil {
		replaced = true
		if buf == nil {
			buf = c.snap
		}
	}
	c.snap = append(buf[:0], frame...)
	c.outMu.Unlock()
	c.signal()
	return replaced
}

// offerControl queues a copy of frame, which the writer sends before the
// next snapshot; the caller may reuse frame at once. The copy goes into a
// buffer the writer gave back, so a steady flow of control frames
// allocates nothing. It returns false when the queue is full.
func (c *conn) offerControl(frame []byte) bool {
	c.outMu.Lock()
	if len(c.ctrl) >= maxCtrlFrames {
		c.outMu.Unlock()
		return false
	}
	var buf []byte
	if n := len(c.ctrlSpare); n > 0 {
		buf = c.ctrlSpare[n-1]
		c.ctrlSpare[n-1] = nil
		c.ctrlSpare = c.ctrlSpare[:n-1]
	}
	c.ctrl = append(c.ctrl, append(buf[:0], frame...))
	if k, err := netcode.PeekKind(frame); err == nil && k == netcode.KindWelcome {
		c.welcome = append(c.welcome[:0], frame...) // once per session: not the hot path
	}
	c.outMu.Unlock()
	c.signal()
	return true
}

// lastWelcome returns a copy of the last welcome queued, or nil.
func (c *conn) lastWelcome() []byte {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	if c.welcome == nil {
		return nil
	}
	return append([]byte(nil), c.welcome...)
}

// recycleCtrl takes back written control buffers for reuse, up to
// maxSpareCtrl of at most maxSpareCtrlBytes each. Called by the writer.
func (c *conn) recycleCtrl(bufs [][]byte) {
	c.outMu.Lock()
	for _, b := range bufs {
		if len(c.ctrlSpare) < maxSpareCtrl && cap(b) <= maxSpareCtrlBytes {
			c.ctrlSpare = append(c.ctrlSpare, b)
		}
	}
	c.outMu.Unlock()
}

func (c *conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// closeWith makes final the last frame the writer sends (nil for none),
// after every frame already queued, and closes the connection after it.
// Only the first call has an effect.
func (c *conn) closeWith(final []byte) {
	c.closeOnce.Do(func() {
		c.outMu.Lock()
		c.final = final
		c.outMu.Unlock()
		c.closed.Store(true)
		close(c.closing)
		w := c.w // the timer must not keep the connection (and its room) alive
		time.AfterFunc(closeGrace, func() { w.Close() })
	})
}

// closeCode closes with a typed error frame.
func (c *conn) closeCode(code netcode.Code, msg string) {
	c.closeWith(netcode.AppendError(nil, &netcode.ErrorFrame{Code: code, Message: msg}))
}

// closeBackoff closes with a typed error frame that states a back-off d
// (retry_after_ms), and records that the seat refuses new connections
// until now+d (backoffUntil).
func (c *conn) closeBackoff(code netcode.Code, msg string, now time.Time, d time.Duration) {
	c.outMu.Lock()
	c.retryAt = now.Add(d)
	c.outMu.Unlock()
	c.closeWith(netcode.AppendError(nil, &netcode.ErrorFrame{Code: code, Message: msg, RetryAfter: d}))
}

// backoffUntil is when the back-off of a closeBackoff ends; zero if none.
func (c *conn) backoffUntil() time.Time {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	return c.retryAt
}

// isClosed reports whether the connection is finished or finishing.
func (c *conn) isClosed() bool { return c.closed.Load() }

// writeLoop writes queued frames until the connection closes, then writes
// every frame still queued, the final frame, if any, and closes the
// transport. A close never overtakes a frame queued before it: the match
// end queues the final tick's events and closes with the bye in one go,
// and the writer may see both signals at once (a select between wake and
// closing picks at random). The drain is bounded: each write by the
// transport's write timeout, all of it by closeGrace, after which the
// transport is closed under the writer.
func (c *conn) writeLoop() {
	defer c.w.Close()
	var batch [][]byte
	for {
		closing := false
		select {
		case <-c.wake:
		case <-c.closing:
			closing = true
		}
		// After the close, one pass: what was queued when it came, not
		// whatever a reader still offers a closed connection (pongs).
		passes := -1
		if closing {
			passes = 1
		}
		if !c.flush(&batch, passes) {
			return
		}
		if closing {
			c.outMu.Lock()
			final := c.final
			c.outMu.Unlock()
			if final != nil {
				_ = c.w.WriteFrame(final)
			}
			return
		}
	}
}

// flush writes the queued control frames, then the pending snapshot, until
// both are empty or after passes rounds (passes < 0: no limit); false
// means a write failed.
func (c *conn) flush(batch *[][]byte, passes int) bool {
	for ; passes != 0; passes-- {
		c.outMu.Lock()
		*batch = append((*batch)[:0], c.ctrl...)
		clear(c.ctrl)
		c.ctrl = c.ctrl[:0]
		snap := c.snap
		c.snap = nil
		c.outMu.Unlock()
		if len(*batch) == 0 && snap == nil {
			return true
		}
		for _, f := range *batch {
			if !c.write(f) {
				return false
			}
		}
		c.recycleCtrl(*batch)
		clear(*batch)
		if snap != nil {
			ok := c.write(snap)
			if ok && c.snapshotsOut != nil {
				c.snapshotsOut.Inc()
			}
			c.outMu.Lock()
			if c.snapFree == nil {
				c.snapFree = snap
			}
			c.outMu.Unlock()
			if !ok {
				return false
			}
		}
	}
	return true
}

// write writes one frame; on failure it marks the connection closed.
func (c *conn) write(f []byte) bool {
	if err := c.w.WriteFrame(f); err != nil {
		c.closeWith(nil)
		return false
	}
	c.bytesOut.Add(float64(len(f)))
	return true
}
