package client

import (
	"fmt"
	"time"

	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
)

// Config configures one client. Start from DefaultConfig.
type Config struct {
	// Ticket is the join ticket from the lobby. Required.
	Ticket string
	// HelloTimeout bounds the whole handshake (dial, hello, welcome) of a
	// connect or a resume. Default 5 s.
	HelloTimeout time.Duration
	// HelloRetry resends the hello when no welcome came back this long
	// (for unreliable links; harmless on KCP and WebSocket). Default 250 ms.
	HelloRetry time.Duration
	// PingInterval is how often the client pings for RTT and clock
	// offset; each ping also resends unacknowledged inputs. It must stay
	// under the server's idle timeout. Default 1 s.
	PingInterval time.Duration
	// Baselines is how many reconstructed snapshots the client keeps as
	// baselines for deltas. Default 32 (about a second at 30 Hz).
	Baselines int
	// MaxUnacked caps inputs kept for resend, at most
	// netcode.MaxInputsPerFrame so every input frame carries all of them;
	// past it the oldest is dropped (and counted). Default 32.
	MaxUnacked int
	// AutoResume resumes the session after a drop, trying ResumeDialers
	// in turn (or the dialer of Connect when empty), up to ResumeAttempts
	// times with ResumeBackoff between rounds. Default true. A back-off
	// the server states (rate_limited with retry_after_ms) is always
	// waited in full before the next resume.
	AutoResume     bool
	ResumeDialers  []transport.Dialer
	ResumeAttempts int           // default 5
	ResumeBackoff  time.Duration // default 200 ms
	// OnSnapshot, when set, is called on the client's reader goroutine
	// with every snapshot applied, in tick order. s is valid only during
	// the call; it must not block for long.
	OnSnapshot func(s *netcode.Snapshot)
	// OnEvents, when set, is called on the reader goroutine with every
	// events frame; f is valid only during the call.
	OnEvents func(f *netcode.EventsFrame)
}

// DefaultConfig returns the defaults with the given ticket.
func DefaultConfig(ticket string) Config {
	return Config{
		Ticket:         ticket,
		HelloTimeout:   5 * time.Second,
		HelloRetry:     250 * time.Millisecond,
		PingInterval:   time.Second,
		Baselines:      32,
		MaxUnacked:     netcode.MaxInputsPerFrame,
		AutoResume:     true,
		ResumeAttempts: 5,
		ResumeBackoff:  200 * time.Millisecond,
	}
}

// Validate reports the first field out of range.
func (c *Config) Validate() error {
	switch {
	case c.Ticket == "" || len(c.Ticket) > netcode.MaxTicket:
		return fmt.Errorf("client: ticket of %d bytes, want 1 to %d", len(c.Ticket), netcode.MaxTicket)
	case c.HelloTimeout <= 0 || c.HelloRetry <= 0 || c.PingInterval <= 0:
		return fmt.Errorf("client: HelloTimeout, HelloRetry and PingInterval must be positive")
	case c.Baselines < 2 || c.Baselines > 1024:
		return fmt.Errorf("client: Baselines %d outside [2, 1024]", c.Baselines)
	case c.MaxUnacked < 1 || c.MaxUnacked > netcode.MaxInputsPerFrame:
		return fmt.Errorf("client: MaxUnacked %d outside [1, %d]", c.MaxUnacked, netcode.MaxInputsPerFrame)
	case c.AutoResume && (c.ResumeAttempts < 1 || c.ResumeBackoff < 0):
		return fmt.Errorf("client: AutoResume needs ResumeAttempts >= 1 and ResumeBackoff >= 0")
	}
	return nil
}
