package bench

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"
)

// Config configures a bench run. Zero fields take the defaults documented
// on each; Validate reports what is wrong with the rest.
type Config struct {
	// Scenario names what to run: "idle" (see IdleScenario). Default "idle".
	Scenario string
	// Target is the room server's admin/control base URL. It must be on
	// the loopback interface: the bench only ever loads this machine.
	// Default "http://127.0.0.1:7002".
	Target string
	// FleetSecret is the room server's control API bearer secret. Required.
	FleetSecret string
	// Clients is how many clients to connect, 1..5000. Default 1000.
	Clients int
	// KCPFraction is the share of clients on KCP, the rest on WebSocket,
	// 0..1. Default 0.5.
	KCPFraction float64
	// RoomSize is the seats per room (raid rooms, 1..40). Each room gets
	// one client fewer than its seats, so it keeps waiting for its last
	// player and its clients stay idle. Default 40.
	RoomSize int
	// Concurrency bounds connects in flight. Default 32.
	Concurrency int
	// Settle is how long the clients stay connected and idle before the
	// server's RSS is read again. Default 3 s.
	Settle time.Duration
	// Timeout bounds the whole run. Default 2 min.
	Timeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.Scenario == "" {
		c.Scenario = "idle"
	}
	if c.Target == "" {
		c.Target = "http://127.0.0.1:7002"
	}
	if c.Clients == 0 {
		c.Clients = 1000
	}
	if c.KCPFraction == 0 {
		c.KCPFraction = 0.5
	}
	if c.RoomSize == 0 {
		c.RoomSize = 40
	}
	if c.Concurrency == 0 {
		c.Concurrency = 32
	}
	if c.Settle == 0 {
		c.Settle = 3 * time.Second
	}
	if c.Timeout == 0 {
		c.Timeout = 2 * time.Minute
	}
	return c
}

// Validate reports every problem with c after defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.Scenario != "idle" {
		errs = append(errs, fmt.Errorf("unknown scenario %q (have: idle)", c.Scenario))
	}
	if err := requireLoopbackURL(c.Target); err != nil {
		errs = append(errs, err)
	}
	if c.FleetSecret == "" {
		errs = append(errs, errors.New("fleet secret is required"))
	}
	if c.Clients < 1 || c.Clients > 5000 {
		errs = append(errs, fmt.Errorf("clients %d outside 1..5000", c.Clients))
	}
	if c.KCPFraction < 0 || c.KCPFraction > 1 {
		errs = append(errs, fmt.Errorf("kcp fraction %v outside 0..1", c.KCPFraction))
	}
	if c.RoomSize < 2 || c.RoomSize > 40 {
		errs = append(errs, fmt.Errorf("room size %d outside 2..40", c.RoomSize))
	}
	if c.Concurrency < 1 || c.Settle < 0 || c.Timeout <= 0 {
		errs = append(errs, errors.New("concurrency and timeout must be positive, settle not negative"))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("bench: config: %w", errors.Join(errs...))
}

// requireLoopbackURL accepts http(s)/ws(s) URLs whose host is a loopback
// IP or "localhost".
func requireLoopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("target %q: %w", raw, err)
	}
	return requireLoopbackHost(u.Hostname())
}

// requireLoopbackAddr accepts host:port addresses on loopback.
func requireLoopbackAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	return requireLoopbackHost(host)
}

func requireLoopbackHost(host string) error {
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("bench: %q is not a loopback address; the bench only targets this machine", host)
}
