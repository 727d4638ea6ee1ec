package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
)

// Sentinel errors of the client.
var (
	// ErrClosed: Close was called.
	ErrClosed = errors.New("client: closed")
	// ErrEnded: the server said bye (match over, kicked, draining); Err
	// wraps it with the code.
	ErrEnded = errors.New("client: session ended by the server")
	// ErrResumeFailed: the connection dropped and no resume attempt got a
	// welcome.
	ErrResumeFailed = errors.New("client: resume failed")
)

// Stats counts what the client did. Durations are zero until measured.
type Stats struct {
	SnapshotsApplied uint64        // snapshots reconstructed and reported
	FullSnapshots    uint64        // of which full (no baseline)
	StaleSnapshots   uint64        // older than the newest applied, ignored
	MissingBaseline  uint64        // delta against a baseline no longer held, ignored
	InputsSent       uint64        // inputs queued by SendInput
	InputFrames      uint64        // input frames written (each also acks the newest applied tick)
	AcksSent         uint64        // ack frames written alone (see PROTOCOL.md 6: only when no input frame carried the tick)
	InputsAcked      uint32        // highest input sequence the server acknowledged
	InputsDropped    uint64        // inputs pushed out of a full unacked queue
	MaxInputAckDelay time.Duration // longest wait from SendInput to its ack
	AvgInputAckDelay time.Duration
	Resumes          uint64        // successful resumes
	BackedOff        time.Duration // time waited before resumes because the server said so (retry_after_ms)
	RTT              time.Duration // smoothed round-trip time
	ClockOffset      time.Duration // server clock minus client clock
}

// Client is one player's connection: it keeps the session alive, resends
// inputs until acknowledged, reconstructs the world from snapshots and
// acks them (in its input frames, or alone when no input frame carried
// the newest tick within a tick and a half: ackPolicy), and resumes after
// a drop. All methods are safe for concurrent use. Each client runs one
// reader goroutine (plus, on KCP, one socket reader) and a ping timer;
// Close waits for all of them.
type Client struct {
	cfg     Config
	dialers []transport.Dialer // resume order; guarded by mu

	// wmu serializes frame writes and guards wbuf; lock order wmu, then mu.
	wmu  sync.Mutex
	wbuf []byte

	mu      sync.Mutex
	conn    transport.Conn
	welcome netcode.Welcome
	inputs  inputQueue
	world   *world // written by the reader goroutine under mu
	acks    ackPolicy
	clk     clock
	stats   Stats
	pingID  uint32
	err     error // terminal error, set once

	closing chan struct{}
	done    chan struct{}
	tmu     sync.Mutex // guards stopped and the timer; timer callbacks join wg under it
	stopped bool
	timer   timer      // the ping timer
	ts      timeSource // clock of the ping timer and the ack policy
	wg      sync.WaitGroup
	epoch   time.Time // client clock origin (monotonic) for ping times
}

// Connect dials d, sends the hello and waits for the welcome, then starts
// the client. The returned error wraps a *netcode.ErrorFrame when the
// server refused the session (errors.As).
func Connect(ctx context.Context, d transport.Dialer, cfg Config) (*Client, error) {
	return connect(ctx, d, cfg, wallClock{})
}

// connect is Connect with the clock of the ping timer and the ack policy.
func connect(ctx context.Context, d transport.Dialer, cfg Config, ts timeSource) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Client{
		cfg:     cfg,
		dialers: cfg.ResumeDialers,
		world:   newWorld(cfg.Baselines),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
		ts:      ts,
		epoch:   time.Now(),
	}
	c.inputs.max = cfg.MaxUnacked
	if len(c.dialers) == 0 {
		c.dialers = []transport.Dialer{d}
	}
	conn, w, err := c.handshake(ctx, d, &netcode.Hello{Version: netcode.Version, Ticket: cfg.Ticket})
	if err != nil {
		return nil, err
	}
	c.conn, c.welcome = conn, *w
	c.wg.Add(1)
	go c.run(conn)
	c.tmu.Lock()
	c.timer = ts.AfterFunc(cfg.PingInterval, c.tick)
	c.tmu.Unlock()
	return c, nil
}

// Welcome returns the welcome of the current session (seat, tick rate,
// entity id; a resume replaces it).
func (c *Client) Welcome() netcode.Welcome {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.welcome
}

// SendInput stamps in with the next sequence number, queues it for resend
// until acknowledged and sends every unacknowledged input at once. It
// returns the sequence number. A write failure is not an error: the input
// stays queued and goes out again on the next send, ping or resume. It
// fails only once the client has stopped (Err says why).
func (c *Client) SendInput(in netcode.Input) (uint32, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return 0, err
	}
	in.ClientTick = c.world.latest
	seq := c.inputs.push(in, time.Now())
	c.stats.InputsSent++
	c.writeInputsLocked()
	return seq, nil
}

// writeInputsLocked sends the unacked inputs with the current ack (the
// newest applied tick, which this frame then carries for the ack
// policy). c.wmu and c.mu must be held; it releases c.mu before writing.
func (c *Client) writeInputsLocked() {
	f := netcode.InputFrame{AckTick: c.world.latest, Inputs: c.inputs.pending}
	c.wbuf = netcode.AppendInputFrame(c.wbuf[:0], &f)
	c.acks.carry(f.AckTick, c.ts.Now())
	c.stats.InputFrames++
	conn := c.conn
	c.mu.Unlock()
	_ = conn.WriteFrame(c.wbuf)
}

// World copies the newest reconstructed snapshot into dst and returns its
// tick (0 before the first snapshot).
func (c *Client) World(dst *netcode.Snapshot) uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.world.get(c.world.latest); s != nil {
		dst.CopyFrom(s)
		return s.Tick
	}
	dst.Tick, dst.Entities = 0, dst.Entities[:0]
	return 0
}

// Stats returns a copy of the counters.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.InputsAcked, s.InputsDropped = c.inputs.acked, c.inputs.dropped
	s.MaxInputAckDelay = c.inputs.maxLat
	if c.inputs.nLat > 0 {
		s.AvgInputAckDelay = c.inputs.sumLat / time.Duration(c.inputs.nLat)
	}
	s.RTT, s.ClockOffset = c.clk.rtt(), c.clk.offset()
	return s
}

// ServerTime estimates the server's clock now.
func (c *Client) ServerTime() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.clk.offset())
}

// Done is closed when the client has stopped: Close, a server bye, a fatal
// error, or a failed resume.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err returns why the client stopped, nil while it runs.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close says bye, closes the connection and waits for the client's
// goroutines and timer callbacks. Safe to call more than once.
func (c *Client) Close() error {
	c.tmu.Lock()
	already := c.stopped
	c.stopped = true
	if c.timer != nil {
		c.timer.Stop()
	}
	c.tmu.Unlock()
	if !already {
		close(c.closing)
		c.fail(ErrClosed) // from here on a resume cannot install a new conn
		c.wmu.Lock()
		c.mu.Lock()
		conn := c.conn
		c.mu.Unlock()
		_ = conn.WriteFrame(netcode.AppendBye(c.wbuf[:0], netcode.KindClientBye, netcode.CodeNone))
		c.wmu.Unlock()
		_ = conn.Close()
	}
	c.wg.Wait()
	return nil
}

// fail records the terminal error once.
func (c *Client) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
}

// nowUs is the client clock for pings: Unix µs, advancing monotonically.
func (c *Client) nowUs() int64 {
	return c.epoch.UnixMicro() + time.Since(c.epoch).Microseconds()
}

// joinTimer is how a timer callback starts: false once the client has
// stopped (the callback must return), else it has joined c.wg, which the
// callback leaves when done, so Close waits for it.
func (c *Client) joinTimer() bool {
	c.tmu.Lock()
	defer c.tmu.Unlock()
	if c.stopped {
		return false
	}
	c.wg.Add(1)
	return true
}

// tick runs on the ping timer: ping, resend unacked inputs (which carry
// the ack) or else ack the newest tick if it is overdue (snapshots
// stopped before a frame carried it), re-arm.
func (c *Client) tick() {
	if !c.joinTimer() {
		return
	}
	defer c.wg.Done()

	c.wmu.Lock()
	c.mu.Lock()
	c.pingID++
	p := netcode.Ping{ID: c.pingID, ClientTimeUs: c.nowUs()}
	conn := c.conn
	resend := len(c.inputs.pending) > 0
	c.mu.Unlock()
	c.wbuf = netcode.AppendPing(c.wbuf[:0], &p)
	_ = conn.WriteFrame(c.wbuf)
	c.mu.Lock()
	switch {
	case resend:
		c.writeInputsLocked()
	case c.acks.due(c.world.latest, false, c.ts.Now(), tickPeriod(c.welcome.TickRate)):
		c.writeAckLocked(conn)
	default:
		c.mu.Unlock()
	}
	c.wmu.Unlock()

	c.tmu.Lock()
	if !c.stopped {
		c.timer.Reset(c.cfg.PingInterval)
	}
	c.tmu.Unlock()
}

// run is the reader goroutine: it serves conn until it drops, then
// resumes (if configured) and carries on with the new conn.
func (c *Client) run(conn transport.Conn) {
	defer c.wg.Done()
	defer close(c.done)
	for {
		err := c.serve(conn)
		conn.Close()
		select {
		case <-c.closing:
			c.fail(ErrClosed)
			return
		default:
		}
		var ef *netcode.ErrorFrame
		fatal := errors.Is(err, ErrEnded) || (errors.As(err, &ef) && !ef.Code.Resumable())
		if fatal || !c.cfg.AutoResume {
			c.fail(err)
			return
		}
		var wait time.Duration // a rate_limited close states how long to back off
		if ef != nil {
			wait = ef.RetryAfter
		}
		if conn, err = c.resume(wait); err != nil {
			c.fail(err)
			return
		}
	}
}

// serve reads and handles frames until the conn fails or the server ends
// the session.
func (c *Client) serve(conn transport.Conn) error {
	var ev netcode.EventsFrame
	for {
		p, err := conn.ReadFrame()
		if err != nil {
			return fmt.Errorf("client: read: %w", err)
		}
		k, err := netcode.PeekKind(p)
		if err != nil {
			return fmt.Errorf("client: %w", err)
		}
		switch k {
		case netcode.KindSnapshot:
			if err := c.onSnapshot(conn, p); err != nil {
				return err
			}
		case netcode.KindEvents:
			if err := netcode.DecodeEvents(p, &ev); err != nil {
				return fmt.Errorf("client: events: %w", err)
			}
			if c.cfg.OnEvents != nil {
				c.cfg.OnEvents(&ev)
			}
		case netcode.KindPong:
			var pong netcode.Pong
			if err := netcode.DecodePong(p, &pong); err != nil {
				return fmt.Errorf("client: pong: %w", err)
			}
			c.mu.Lock()
			c.clk.observe(pong.ClientTimeUs, c.nowUs(), pong.ServerTimeUs)
			c.mu.Unlock()
		case netcode.KindError:
			ef := &netcode.ErrorFrame{}
			if err := netcode.DecodeError(p, ef); err != nil {
				return fmt.Errorf("client: error frame: %w", err)
			}
			return fmt.Errorf("client: server error: %w", ef)
		case netcode.KindServerBye:
			code, err := netcode.DecodeBye(p, k)
			if err != nil {
				return fmt.Errorf("client: bye: %w", err)
			}
			return fmt.Errorf("%w: %s", ErrEnded, code)
		case netcode.KindWelcome:
			// A duplicate (the hello was resent); nothing to do.
		default:
			return fmt.Errorf("client: %w: %s from the server", netcode.ErrUnknownKind, k)
		}
	}
}

// onSnapshot applies one snapshot, reports it, acks it if no input frame
// will (ackIfDue) and settles the input acks it carries. Malformed or
// contradictory snapshots end the conn (and so trigger a resume, which
// restarts from a held baseline).
func (c *Client) onSnapshot(conn transport.Conn, p []byte) error {
	c.mu.Lock()
	s, err := c.world.apply(p)
	switch {
	case errors.Is(err, errStale):
		c.stats.StaleSnapshots++
		c.mu.Unlock()
		return nil
	case errors.Is(err, errNoBaseline):
		c.stats.MissingBaseline++
		c.mu.Unlock()
		return nil
	case err != nil:
		c.mu.Unlock()
		return fmt.Errorf("client: snapshot: %w", err)
	}
	c.stats.SnapshotsApplied++
	full := c.world.frame.Base == 0
	if full {
		c.stats.FullSnapshots++
	}
	c.acks.applied(s.Tick, c.ts.Now())
	c.inputs.ack(c.world.frame.InputAck, time.Now())
	c.mu.Unlock()
	// s is only ever written by this goroutine, so the callback may read it
	// without the lock.
	if c.cfg.OnSnapshot != nil {
		c.cfg.OnSnapshot(s)
	}
	c.ackIfDue(conn, full)
	return nil
}

// ackIfDue acks the newest applied tick on conn if the ack policy says an
// ack must go out alone now (full: the snapshot just applied was full).
// It runs after OnSnapshot, so an input sent from the callback carries
// the ack instead. Runs on the reader goroutine.
func (c *Client) ackIfDue(conn transport.Conn, full bool) {
	c.mu.Lock()
	due := c.acks.due(c.world.latest, full, c.ts.Now(), tickPeriod(c.welcome.TickRate))
	c.mu.Unlock()
	if !due {
		return
	}
	c.wmu.Lock()
	c.mu.Lock()
	if c.acks.due(c.world.latest, full, c.ts.Now(), tickPeriod(c.welcome.TickRate)) {
		c.writeAckLocked(conn) // an input may have carried it meanwhile
	} else {
		c.mu.Unlock()
	}
	c.wmu.Unlock()
}

// writeAckLocked sends an ack of the newest applied tick on conn. c.wmu
// and c.mu must be held; it releases c.mu before writing.
func (c *Client) writeAckLocked(conn transport.Conn) {
	tick := c.world.latest
	c.acks.carry(tick, c.ts.Now())
	c.stats.AcksSent++
	c.mu.Unlock()
	c.wbuf = netcode.AppendAck(c.wbuf[:0], tick)
	_ = conn.WriteFrame(c.wbuf)
}

// tickPeriod is one tick of a room running at rate ticks a second; 0 (a
// welcome that states no rate) paces nothing.
func tickPeriod(rate uint32) time.Duration {
	if rate == 0 {
		return 0
	}
	return time.Second / time.Duration(rate)
}
