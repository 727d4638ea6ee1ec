package bench

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"slices"
	"time"
)

// Names of the bundled scenarios that the code refers to.
const (
	// ScenarioIdle connects idle clients straight to a room server and
	// reports the server's RSS growth per connection.
	ScenarioIdle = "idle"
	// ScenarioMatch runs each bot through one whole match: lobby login,
	// roster, queue, match_found, room, play to the end.
	ScenarioMatch = "match"
	// ScenarioLogin runs guest logins against the lobby at a set rate and
	// reports their latency.
	ScenarioLogin = "login"
	// ScenarioSmoke is what `make loadtest` runs against `pantheon dev`.
	ScenarioSmoke = "smoke"
)

// Config configures a bench run: which scenario, where the system under
// test is, and overrides of the scenario's own settings. Zero fields take
// the scenario's value or the default documented on each; Validate reports
// what is wrong with the rest.
type Config struct {
	// Scenario is a bundled scenario's name (Scenarios) or a path to a
	// scenario JSON file. Default ScenarioIdle. Spec, when set, is used
	// instead and Scenario only names it.
	Scenario string
	Spec     *Scenario
	// Target is the room server's admin/control base URL (direct, idle;
	// and scraped for /metrics in every kind when FleetSecret is set).
	// Default "http://127.0.0.1:7002".
	Target string
	// FleetSecret is the room servers' control API and /metrics bearer
	// secret. Required for direct and idle; for lobby runs it lets the
	// bench list the lobby's room servers and scrape their /metrics.
	FleetSecret string
	// Lobby is the lobby's base URL (lobby, login). Default
	// "http://127.0.0.1:8080".
	Lobby string
	// LobbyAdmin is the lobby's private admin base URL, scraped for
	// /metrics when set (e.g. "http://127.0.0.1:8081").
	LobbyAdmin string
	// AllowHosts names non-loopback hosts the bench may target (staging);
	// every other target must be on loopback.
	AllowHosts []string

	// Mode replaces the scenario's modes with this one (and its
	// RoomSize, when set).
	Mode string
	// Clients replaces the count: bots at the busiest stage (the other
	// stages scaled in proportion), logins (login) or clients (idle).
	Clients int
	// Duration stretches or shrinks the stages to last this long in all.
	Duration time.Duration
	// LoginRate replaces the scenario's logins per second.
	LoginRate float64
	// KCPFraction replaces the share of bots on KCP (the rest WebSocket);
	// 0 keeps the scenario's, a negative value means none on KCP.
	KCPFraction float64
	// RoomSize replaces the seats per room (direct, idle).
	RoomSize int
	// Concurrency replaces the bound on logins or connects in flight.
	Concurrency int
	// Settle replaces the idle scenario's settle time.
	Settle time.Duration
	// Timeout replaces the bound on the whole run.
	Timeout time.Duration
	// Net, when set, replaces the scenario's network conditions.
	Net *Network
	// Thresholds are checked on top of the scenario's and, unless
	// NoDefaultThresholds, DefaultThresholds.
	Thresholds          []string
	NoDefaultThresholds bool
	// AbortOnFail stops the run at the first progress tick where a
	// threshold already failed (only thresholds that can only get worse:
	// counts, maxima, and quantiles with at least 100 samples).
	AbortOnFail bool
	// Progress receives a progress line every ProgressEvery (default 1 s)
	// while the run lasts; nil for none.
	Progress      io.Writer
	ProgressEvery time.Duration
	// InProcess says the servers run in the bench's own process (tests),
	// so the report can say that the bench's CPU includes theirs.
	InProcess bool
}

// resolved is a Config with its scenario loaded and the overrides applied.
type resolved struct {
	Config
	sc Scenario
}

// resolve loads the scenario and applies cfg's overrides and defaults.
func (c Config) resolve() (resolved, error) {
	if c.Scenario == "" && c.Spec == nil {
		c.Scenario = ScenarioIdle
	}
	var sc Scenario
	if c.Spec != nil {
		sc = *c.Spec
		if sc.Name == "" {
			sc.Name = c.Scenario
		}
		if err := sc.Validate(); err != nil {
			return resolved{}, fmt.Errorf("bench: scenario %s: %w", sc.Name, err)
		}
	} else {
		var err error
		if sc, err = LoadScenario(c.Scenario); err != nil {
			return resolved{}, err
		}
	}
	if c.Target == "" {
		c.Target = "http://127.0.0.1:7002"
	}
	if c.Lobby == "" {
		c.Lobby = "http://127.0.0.1:8080"
	}
	if c.ProgressEvery == 0 {
		c.ProgressEvery = time.Second
	}
	if c.Mode != "" {
		size := 0
		for _, m := range sc.Modes {
			if m.Mode == c.Mode {
				size = m.RoomSize
			}
		}
		sc.Modes = []ModeShare{{Mode: c.Mode, Share: 1, RoomSize: size}}
	}
	if c.RoomSize != 0 {
		sc.Modes = slices.Clone(sc.Modes)
		for i := range sc.Modes {
			sc.Modes[i].RoomSize = c.RoomSize
		}
		if len(sc.Modes) == 0 {
			sc.Modes = []ModeShare{{Mode: "raid", RoomSize: c.RoomSize}}
		}
	}
	if c.Clients != 0 {
		sc.Clients = c.Clients
		if peak := sc.PeakBots(); peak > 0 {
			sc.Stages = slices.Clone(sc.Stages)
			for i := range sc.Stages {
				sc.Stages[i].Bots = int(math.Round(float64(sc.Stages[i].Bots) * float64(c.Clients) / float64(peak)))
			}
		}
	}
	if c.Duration != 0 && sc.Length() > 0 {
		f := float64(c.Duration) / float64(sc.Length())
		sc.Stages = slices.Clone(sc.Stages)
		for i := range sc.Stages {
			sc.Stages[i].Duration = Duration(float64(sc.Stages[i].Duration) * f)
		}
	}
	if c.LoginRate != 0 {
		sc.LoginRate = c.LoginRate
	}
	if c.KCPFraction != 0 {
		k := max(0, c.KCPFraction)
		sc.Transport.KCP = &k
	}
	if c.Concurrency != 0 {
		sc.Concurrency = c.Concurrency
	}
	if c.Settle != 0 {
		sc.Settle = Duration(c.Settle)
	}
	if c.Timeout != 0 {
		sc.Timeout = Duration(c.Timeout)
	}
	if c.Net != nil {
		sc.Network = *c.Net
	}
	sc.Thresholds = append(slices.Clone(sc.Thresholds), c.Thresholds...)
	if sc.Kind == KindIdle && len(sc.Modes) == 0 {
		sc.Modes = []ModeShare{{Mode: "raid", RoomSize: 40}}
	}
	sc = sc.withDefaults()
	return resolved{Config: c, sc: sc}, nil
}

// Validate reports every problem with c after its scenario is loaded and
// the overrides applied.
func (c Config) Validate() error {
	r, err := c.resolve()
	if err != nil {
		return err
	}
	return r.validate()
}

func (r resolved) validate() error {
	var errs []error
	sc := r.sc
	if err := sc.Validate(); err != nil {
		errs = append(errs, err)
	}
	switch sc.Kind {
	case KindIdle, KindDirect:
		if err := r.checkURL(r.Target); err != nil {
			errs = append(errs, err)
		}
		if r.FleetSecret == "" {
			errs = append(errs, errors.New("fleet secret is required"))
		}
	case KindLobby, KindLogin:
		if err := r.checkURL(r.Lobby); err != nil {
			errs = append(errs, err)
		}
	}
	if r.LobbyAdmin != "" {
		if err := r.checkURL(r.LobbyAdmin); err != nil {
			errs = append(errs, err)
		}
	}
	if sc.Kind == KindIdle || sc.Kind == KindLogin {
		if sc.Clients < 1 {
			errs = append(errs, fmt.Errorf("clients %d: want at least 1", sc.Clients))
		}
	}
	if sc.Kind == KindIdle {
		if rs := sc.Modes[0].RoomSize; rs < 2 || rs > 40 {
			errs = append(errs, fmt.Errorf("room size %d outside 2..40", rs))
		}
	}
	for _, m := range sc.Modes {
		if sc.Kind == KindDirect && m.RoomSize != 0 && m.RoomSize < 1 {
			errs = append(errs, fmt.Errorf("mode %s: room size %d", m.Mode, m.RoomSize))
		}
	}
	if sc.Concurrency < 1 || sc.Timeout <= 0 {
		errs = append(errs, errors.New("concurrency and timeout must be positive"))
	}
	// The scenario's thresholds (with Config.Thresholds) were checked by
	// sc.Validate; DefaultThresholds are the package's own.
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("bench: config: %w", errors.Join(errs...))
}

// thresholdSpecs lists every threshold the run checks.
func (r resolved) thresholdSpecs() []string {
	var out []string
	if !r.NoDefaultThresholds {
		out = append(out, DefaultThresholds...)
	}
	return append(out, r.sc.Thresholds...)
}

// checkURL accepts http(s)/ws(s) URLs whose host is on loopback or named
// in AllowHosts.
func (c Config) checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("target %q: %w", raw, err)
	}
	return c.checkHost(u.Hostname())
}

// checkAddr accepts host:port addresses on loopback or in AllowHosts.
func (c Config) checkAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	return c.checkHost(host)
}

func (c Config) checkHost(host string) error {
	if host == "localhost" || slices.Contains(c.AllowHosts, host) {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%q is not a loopback address; the bench only targets this machine unless the host is allowed (--allow-host)", host)
}
