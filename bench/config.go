package bench

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"
)

// Scenarios.
const (
	// ScenarioIdle connects idle clients straight to a room server and
	// reports the server's RSS growth per connection.
	ScenarioIdle = "idle"
	// ScenarioMatch runs bots through the whole path of a match: lobby
	// login, roster, queue, match_found, room, play to the end.
	ScenarioMatch = "match"
	// ScenarioLogin runs guest logins against the lobby at a set rate and
	// reports their latency.
	ScenarioLogin = "login"
)

// Config configures a bench run. Zero fields take the defaults documented
// on each; Validate reports what is wrong with the rest.
type Config struct {
	// Scenario names what to run: ScenarioIdle or ScenarioMatch. Default
	// ScenarioIdle.
	Scenario string
	// Target is the room server's admin/control base URL (idle). It must be
	// on the loopback interface: the bench only ever loads this machine.
	// Default "http://127.0.0.1:7002".
	Target string
	// FleetSecret is the room server's control API bearer secret. Required
	// for idle.
	FleetSecret string
	// Lobby is the lobby's base URL (match), on loopback. Default
	// "http://127.0.0.1:8080".
	Lobby string
	// Mode is the queue the match bots join (match). Default "battle_1v1".
	Mode string
	// LoginRate paces logins (match, login), per second; 0 starts them as
	// fast as Concurrency allows.
	LoginRate float64
	// Clients is how many clients (idle), bots (match) or logins (login)
	// to run, 1..5000 (login: 1..100000). Default 1000 for idle and login, 2
	// for match (choose a multiple of the mode's match size).
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
	// Timeout bounds the whole run. Default 2 min, 12 min for match (the
	// longest mode, a raid, may run 10 minutes).
	Timeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.Scenario == "" {
		c.Scenario = ScenarioIdle
	}
	if c.Target == "" {
		c.Target = "http://127.0.0.1:7002"
	}
	if c.Lobby == "" {
		c.Lobby = "http://127.0.0.1:8080"
	}
	if c.Mode == "" {
		c.Mode = "battle_1v1"
	}
	if c.Clients == 0 {
		c.Clients = 1000
		if c.Scenario == ScenarioMatch {
			c.Clients = 2
		}
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
		if c.Scenario == ScenarioMatch {
			c.Timeout = 12 * time.Minute
		}
	}
	return c
}

// Validate reports every problem with c after defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	switch c.Scenario {
	case ScenarioIdle:
		if err := requireLoopbackURL(c.Target); err != nil {
			errs = append(errs, err)
		}
		if c.FleetSecret == "" {
			errs = append(errs, errors.New("fleet secret is required"))
		}
	case ScenarioMatch, ScenarioLogin:
		if err := requireLoopbackURL(c.Lobby); err != nil {
			errs = append(errs, err)
		}
		if c.LoginRate < 0 {
			errs = append(errs, fmt.Errorf("login rate %v is negative", c.LoginRate))
		}
	default:
		errs = append(errs, fmt.Errorf("unknown scenario %q (have: %s, %s, %s)", c.Scenario, ScenarioIdle, ScenarioMatch, ScenarioLogin))
	}
	maxClients := 5000
	if c.Scenario == ScenarioLogin {
		maxClients = 100_000 // logins hold nothing open
	}
	if c.Clients < 1 || c.Clients > maxClients {
		errs = append(errs, fmt.Errorf("clients %d outside 1..%d", c.Clients, maxClients))
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
