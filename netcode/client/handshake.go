package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
)

// handshake dials d, sends h (resending it every HelloRetry for lossy
// links) and waits for the welcome, within HelloTimeout and ctx. Frames
// other than welcome and error before the welcome are ignored.
func (c *Client) handshake(ctx context.Context, d transport.Dialer, h *netcode.Hello) (transport.Conn, *netcode.Welcome, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.HelloTimeout)
	defer cancel()
	conn, err := d.Dial(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("client: dial: %w", err)
	}
	hello := netcode.AppendHello(nil, h)
	if err := conn.WriteFrame(hello); err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("client: hello: %w", err)
	}
	// The resend timer and the deadline watch run beside the blocking
	// reads; both are stopped before handshake returns.
	stop := make(chan struct{})
	watch := make(chan struct{})
	go func() {
		defer close(watch)
		t := time.NewTicker(c.cfg.HelloRetry)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				_ = conn.WriteFrame(hello)
			case <-ctx.Done():
				conn.Close() // unblocks the read below
				return
			case <-stop:
				return
			}
		}
	}()
	w, err := awaitWelcome(conn)
	close(stop)
	<-watch
	if err != nil {
		conn.Close()
		if ctx.Err() != nil {
			return nil, nil, fmt.Errorf("client: no welcome: %w", ctx.Err())
		}
		return nil, nil, err
	}
	return conn, w, nil
}

func awaitWelcome(conn transport.Conn) (*netcode.Welcome, error) {
	for {
		p, err := conn.ReadFrame()
		if err != nil {
			return nil, fmt.Errorf("client: awaiting welcome: %w", err)
		}
		switch k, _ := netcode.PeekKind(p); k {
		case netcode.KindWelcome:
			var w netcode.Welcome
			if err := netcode.DecodeWelcome(p, &w); err != nil {
				return nil, fmt.Errorf("client: welcome: %w", err)
			}
			if w.Version != netcode.Version {
				return nil, fmt.Errorf("client: server speaks version %d, want %d", w.Version, netcode.Version)
			}
			return &w, nil
		case netcode.KindError:
			ef := &netcode.ErrorFrame{}
			if err := netcode.DecodeError(p, ef); err != nil {
				return nil, fmt.Errorf("client: error frame: %w", err)
			}
			return nil, fmt.Errorf("client: refused: %w", ef)
		default:
			// other frames before the welcome are skipped.
		}
	}
}

// resume tries each resume dialer in turn, ResumeAttempts rounds with
// ResumeBackoff between rounds, presenting the resume token and the newest
// applied tick so the server can continue with a delta. The first round
// waits wait first (the back-off the server stated with the drop's
// rate_limited error, 0 for none), and a resume refused with a stated
// back-off waits that long before the next round (PROTOCOL.md 5.2). A KCP
// dialer (transport.KeyedDialer) seals the resume with the last welcome's
// resume key. On success it installs the new conn, resends unacked inputs
// and returns the conn.
func (c *Client) resume(wait time.Duration) (transport.Conn, error) {
	c.mu.Lock()
	h := netcode.Hello{Version: netcode.Version, Ticket: c.cfg.Ticket, ResumeToken: c.welcome.ResumeToken, LastAckTick: c.world.latest}
	dialers := c.dialers
	resumeKey := c.welcome.ResumeKey
	c.mu.Unlock()
	if h.ResumeToken == "" {
		return nil, fmt.Errorf("%w: the server gave no resume token", ErrResumeFailed)
	}
	ctx, cancel := context.WithCancel(context.Background())
	watched := make(chan struct{})
	go func() { // Close aborts a resume in progress
		defer close(watched)
		select {
		case <-c.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	defer func() { cancel(); <-watched }()
	var last error
	for round := range c.cfg.ResumeAttempts {
		delay := wait // the server's stated back-off, if any
		if round > 0 {
			delay = max(delay, c.cfg.ResumeBackoff)
		}
		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, ErrClosed
			}
		}
		if wait > 0 {
			c.mu.Lock()
			c.stats.BackedOff += wait
			c.mu.Unlock()
			wait = 0
		}
	dial:
		for _, d := range dialers {
			if kd, ok := d.(transport.KeyedDialer); ok {
				d = kd.WithKey(resumeKey) // a sealed KCP resume uses the welcome's key for it
			}
			conn, w, err := c.handshake(ctx, d, &h)
			if err != nil {
				last = err
				var ef *netcode.ErrorFrame
				if errors.As(err, &ef) && ef.Code == netcode.CodeResumeFailed {
					return nil, fmt.Errorf("%w: %w", ErrResumeFailed, err)
				}
				if ctx.Err() != nil {
					return nil, ErrClosed
				}
				if ef != nil && ef.RetryAfter > 0 {
					// The seat is still backing off: another dialer
					// reaches the same room; wait what it says.
					wait = ef.RetryAfter
					break dial
				}
				continue
			}
			c.wmu.Lock()
			c.mu.Lock()
			if c.err != nil { // closed meanwhile
				c.mu.Unlock()
				c.wmu.Unlock()
				conn.Close()
				return nil, ErrClosed
			}
			c.conn, c.welcome = conn, *w
			c.stats.Resumes++
			c.writeInputsLocked()
			c.wmu.Unlock()
			return conn, nil
		}
	}
	return nil, fmt.Errorf("%w: %w", ErrResumeFailed, last)
}
