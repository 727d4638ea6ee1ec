package server

import (
	"errors"
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
//   - frames leave by one of two writers, one at a time (wmu): after
//     servicing a room the shard hands the frames its tick queued to the
//     socket itself (send: one non-blocking writev for all of them, on a
//     transport.TryWriter), and the connection's writer goroutine
//     (writeLoop) writes what the shard could not (a socket that would
//     block, a writer busy), frames queued from other goroutines (pongs)
//     and the close. The writer goroutine may wait on the socket, so a
//     slow socket stalls only this connection, never the tick; it sleeps
//     while the shard's writes go through, so a steady tick costs no
//     wake-up per connection.
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

	// The writing side: whoever holds wmu writes to w (the shard's send
	// tries it and never waits for it; the writer goroutine takes it).
	wmu      sync.Mutex
	tw       transport.TryWriter // w's non-blocking path; nil: the writer goroutine writes everything
	stalled  bool                // guarded by wmu: rest and what tw holds are the writer goroutine's to send first
	rest     [][]byte            // guarded by wmu: frames taken from the queues that tw did not take, in order
	restSnap bool                // guarded by wmu: rest ends with the snapshot buffer
	sending  [][]byte            // guarded by wmu: send's batch, reused

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

func newConn(w transport.Conn, name string, inboxSize int, bytesOut prometheus.Counter) *conn {
	tw, _ := w.(transport.TryWriter)
	return &conn{tw: tw,
		w: w, transport: name, bytesOut: bytesOut,
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
	if c.tw == nil {
		c.signal()
	} // else the shard sends it after the room's service (send)
	return replaced
}

// offerControl queues a copy of frame, which the writer sends before the
// next snapshot, and wakes the writer goroutine; the caller may reuse
// frame at once. The copy goes into a buffer the writer gave back, so a
// steady flow of control frames allocates nothing. It returns false when
// the queue is full.
func (c *conn) offerControl(frame []byte) bool {
	if !c.queueControl(frame) {
		return false
	}
	c.signal()
	return true
}

// queueControl is offerControl for the room's shard, which sends the
// frame itself after the room's service (send): it wakes the writer
// goroutine only when the transport has no non-blocking path.
func (c *conn) queueControl(frame []byte) bool {
	if !c.enqueueControl(frame) {
		return false
	}
	if c.tw == nil {
		c.signal()
	}
	return true
}

// enqueueControl queues a copy of frame; false when the queue is full.
func (c *conn) enqueueControl(frame []byte) bool {
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
// transport is closed under the writer. It writes holding wmu, so the
// shard's send never interleaves with it.
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
		c.wmu.Lock()
		ok := c.unstall() && c.flush(&batch, passes)
		if ok && closing {
			c.outMu.Lock()
			final := c.final
			c.outMu.Unlock()
			if final != nil {
				_ = c.w.WriteFrame(final)
			}
		}
		c.wmu.Unlock()
		if !ok || closing {
			return
		}
	}
}

// unstall sends what the shard's send left when the socket would have
// blocked: the rest the transport holds, then the frames it did not take.
// False means a write failed. The caller holds wmu.
func (c *conn) unstall() bool {
	if !c.stalled {
		return true
	}
	c.stalled = false
	if err := c.tw.Flush(); err != nil {
		c.closeWith(nil)
		return false
	}
	for i, f := range c.rest {
		if !c.write(f) {
			return false
		}
		c.written(f, i == len(c.rest)-1 && c.restSnap)
	}
	c.recycleRest()
	return true
}

// send hands the frames queued for the connection to the socket in one
// non-blocking write (transport.TryWriter), from the room's shard after it
// serviced the room. It never waits: when the writer goroutine is writing
// it leaves the frames to it, and when the socket takes only some of them
// the rest (and the transport's held bytes) become the writer goroutine's
// to send first, before anything queued later. A connection without a
// non-blocking path, or closing, is left to its writer goroutine.
func (c *conn) send() {
	if c.tw == nil || c.closed.Load() {
		return
	}
	if !c.wmu.TryLock() {
		c.signal() // the writer goroutine loops once more and finds them
		return
	}
	defer c.wmu.Unlock()
	if c.stalled {
		c.signal()
		return
	}
	c.outMu.Lock()
	batch := append(c.sending[:0], c.ctrl...)
	clear(c.ctrl)
	c.ctrl = c.ctrl[:0]
	snap := c.snap
	c.snap = nil
	c.outMu.Unlock()
	if snap != nil {
		batch = append(batch, snap)
	}
	c.sending = batch
	if len(batch) == 0 {
		return
	}
	n, err := c.tw.TryWriteFrames(batch)
	switch {
	case err == nil:
	case errors.Is(err, transport.ErrWouldBlock):
		c.stalled = true
		c.rest = append(c.rest[:0], batch[n:]...)
		c.restSnap = snap != nil && n < len(batch)
		c.signal()
	default:
		c.closeWith(nil)
	}
	for i, f := range batch[:n] {
		c.written(f, snap != nil && i == len(batch)-1)
	}
	// Give the buffers taken back (the transport copied any rest it holds).
	taken := batch[:n]
	if snap != nil && n == len(batch) {
		c.freeSnap(snap)
		taken = taken[:n-1]
	}
	c.recycleCtrl(taken)
	clear(c.sending)
}

// written counts a frame sent.
func (c *conn) written(f []byte, isSnap bool) {
	c.bytesOut.Add(float64(len(f)))
	if isSnap && c.snapshotsOut != nil {
		c.snapshotsOut.Inc()
	}
}

// freeSnap gives a sent snapshot's buffer back to the mailbox.
func (c *conn) freeSnap(snap []byte) {
	c.outMu.Lock()
	if c.snapFree == nil {
		c.snapFree = snap
	}
	c.outMu.Unlock()
}

// recycleRest gives rest's buffers back once sent. The caller holds wmu.
func (c *conn) recycleRest() {
	ctrl := c.rest
	if c.restSnap {
		c.freeSnap(ctrl[len(ctrl)-1])
		ctrl = ctrl[:len(ctrl)-1]
	}
	c.recycleCtrl(ctrl)
	clear(c.rest)
	c.rest = c.rest[:0]
	c.restSnap = false
}

// flush writes the queued control frames, then the pending snapshot, until
// both are empty or after passes rounds (passes < 0: no limit); false
// means a write failed. The caller holds wmu.
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
			c.written(f, false)
		}
		c.recycleCtrl(*batch)
		clear(*batch)
		if snap != nil {
			ok := c.write(snap)
			if ok {
				c.written(snap, true)
			}
			c.freeSnap(snap)
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
	return true
}
