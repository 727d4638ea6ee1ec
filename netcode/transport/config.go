package transport

import (
	"fmt"
	"time"

	"github.com/pantheon-oracles/pantheon/netcode"
)

// Config holds what every transport shares. The zero value is not valid:
// start from ServerConfig or ClientConfig.
type Config struct {
	// MaxReadFrame caps incoming frames, bytes. Server default
	// netcode.MaxClientFrame (4 KiB), client default netcode.MaxServerFrame
	// (256 KiB).
	MaxReadFrame int
	// MaxWriteFrame caps outgoing frames, bytes. Server default
	// netcode.MaxServerFrame, client default netcode.MaxClientFrame.
	MaxWriteFrame int
	// IdleTimeout closes a session that received nothing (not even a
	// ping) for this long. Default 10 s.
	IdleTimeout time.Duration
	// WriteTimeout bounds one WriteFrame when the peer does not drain.
	// Default 5 s.
	WriteTimeout time.Duration
	// HelloTimeout (listeners only) is how long a new session has to send
	// a well-formed hello or resume before it is dropped; a session opened
	// while more than half of MaxPending are waiting gets a third of it.
	// Default 3 s.
	HelloTimeout time.Duration
	// MaxPending (listeners only) caps sessions waiting for their hello in
	// total, MaxPendingPerAddr per source IP and MaxPendingPerPrefix per
	// source /24 (IPv4) or /64 (IPv6). A new session over a cap is closed
	// at once, except that a source holding no waiting session always
	// gets in: the oldest waiting session of the source holding the most
	// is closed for it (Stats.Evicted). A per-source cap above the one
	// that contains it acts as that one. Defaults 256, 8 and 32.
	MaxPending, MaxPendingPerAddr, MaxPendingPerPrefix int
	// AcceptQueue (listeners only) is how many admitted sessions may wait
	// for Accept; past it new sessions are closed. Default 128.
	AcceptQueue int
}

// ServerConfig returns the defaults for a listener.
func ServerConfig() Config {
	return Config{
		MaxReadFrame:        netcode.MaxClientFrame,
		MaxWriteFrame:       netcode.MaxServerFrame,
		IdleTimeout:         10 * time.Second,
		WriteTimeout:        5 * time.Second,
		HelloTimeout:        3 * time.Second,
		MaxPending:          256,
		MaxPendingPerAddr:   8,
		MaxPendingPerPrefix: 32,
		AcceptQueue:         128,
	}
}

// ClientConfig returns the defaults for a dialer.
func ClientConfig() Config {
	c := ServerConfig()
	c.MaxReadFrame, c.MaxWriteFrame = netcode.MaxServerFrame, netcode.MaxClientFrame
	return c
}

// Validate reports the first field out of range.
func (c *Config) Validate() error {
	switch {
	case c.MaxReadFrame < 64 || c.MaxReadFrame > 16<<20:
		return fmt.Errorf("transport: MaxReadFrame %d outside [64, 16 MiB]", c.MaxReadFrame)
	case c.MaxWriteFrame < 64 || c.MaxWriteFrame > 16<<20:
		return fmt.Errorf("transport: MaxWriteFrame %d outside [64, 16 MiB]", c.MaxWriteFrame)
	case c.IdleTimeout <= 0:
		return fmt.Errorf("transport: IdleTimeout %v must be positive", c.IdleTimeout)
	case c.WriteTimeout <= 0:
		return fmt.Errorf("transport: WriteTimeout %v must be positive", c.WriteTimeout)
	case c.HelloTimeout < 0 || c.MaxPending < 0 || c.AcceptQueue < 0:
		return fmt.Errorf("transport: negative HelloTimeout, MaxPending or AcceptQueue")
	}
	return nil
}

// validateListener also requires the listener-only fields.
func (c *Config) validateListener() error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.HelloTimeout <= 0 || c.MaxPending <= 0 || c.AcceptQueue <= 0 {
		return fmt.Errorf("transport: listener needs positive HelloTimeout, MaxPending and AcceptQueue")
	}
	if c.MaxPendingPerAddr <= 0 || c.MaxPendingPerPrefix <= 0 {
		return fmt.Errorf("transport: listener needs positive MaxPendingPerAddr and MaxPendingPerPrefix")
	}
	return nil
}
