package bench

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Scenario kinds: how bots get in.
const (
	// KindLobby bots take the player's whole path: guest login, roster,
	// push channel, queue, match_found, room, play; then requeue (or stop,
	// with Behaviour.PlayOnce) until the run ends.
	KindLobby = "lobby"
	// KindDirect bots skip the lobby: the bench creates rooms of
	// Mode.RoomSize seats on a room server's control API and fills them,
	// so the load is pure netcode and ticks.
	KindDirect = "direct"
	// KindLogin is guest logins against the lobby at a rate, nothing else.
	KindLogin = "login"
	// KindIdle connects idle clients straight to a room server (rooms kept
	// waiting, so no simulation runs) and reports RSS per connection.
	KindIdle = "idle"
)

// Behaviour patterns: what a playing bot sends.
const (
	// PatternBot plays with the scripted ecs bot (ecs/bot): it moves to
	// its target, casts its loadout, channels and gestures in rituals.
	PatternBot = "bot"
	// PatternWander moves in a slow circle and never casts: steady input
	// and movement with little combat.
	PatternWander = "wander"
	// PatternIdle sends no input (the client still acks and pings).
	PatternIdle = "idle"
)

// Scenario is a load test as data: bundled ones are embedded from
// bench/scenarios/*.json, and any JSON file of the same shape can be run by
// path. Durations are Go duration strings ("90s", "2m"). Zero fields take
// the defaults documented on each; Validate says what is wrong.
type Scenario struct {
	// Name identifies the scenario in reports (default: the file name).
	Name string `json:"name"`
	// Description says what it is for, in one or two sentences.
	Description string `json:"description"`
	// Kind is KindLobby, KindDirect, KindLogin or KindIdle.
	Kind string `json:"kind"`
	// Stages ramp the bot count like k6: each stage moves linearly from
	// the previous stage's bots (0 at the start) to its own over its
	// duration. The run lasts the sum of the stages. Lobby and direct
	// only; with PlayOnce there is one stage whose duration bounds the run.
	Stages []Stage `json:"stages"`
	// Modes are the queues (lobby) or room modes (direct) and the share
	// of bots each gets; shares are normalised. At least one.
	Modes []ModeShare `json:"modes"`
	// Transport is the share of bots on KCP; the rest use WebSocket.
	Transport TransportMix `json:"transport"`
	// Behaviour is what the bots do once in a room.
	Behaviour Behaviour `json:"behaviour"`
	// Network impairs the bots' links through the bench's loopback proxy.
	Network Network `json:"network"`
	// Thresholds are pass/fail rules over the results, e.g.
	// "input_ack.p99<100ms" (see ParseThreshold); they are checked on top
	// of DefaultThresholds.
	Thresholds []string `json:"thresholds"`
	// LoginRate paces logins (lobby, login), per second; 0: as fast as
	// Concurrency allows.
	LoginRate float64 `json:"login_rate"`
	// Concurrency bounds logins or connects in flight. Default 32.
	Concurrency int `json:"concurrency"`
	// Clients is the count for the login (logins) and idle (clients)
	// kinds. Default 1000.
	Clients int `json:"clients"`
	// Settle is how long idle clients stay connected before the second RSS
	// reading (idle). Default 3 s.
	Settle Duration `json:"settle"`
	// Timeout bounds the whole run, past the stages too (a run cut by it
	// reports what it measured). Default the stages plus 1 minute, or 2
	// minutes for login and idle.
	Timeout Duration `json:"timeout"`
	// TickRates are the server clock rates the scenario is meant for, per
	// mode (a room server's --tick-rate); the bench checks the rate each
	// welcome reports against them and counts mismatches as errors, and
	// in-process tests start their server with them.
	TickRates map[string]int `json:"tick_rates"`
}

// Stage is one step of the ramp: reach Bots over Duration.
type Stage struct {
	Duration Duration `json:"duration"`
	Bots     int      `json:"bots"`
}

// ModeShare is one mode and the share of bots that play it.
type ModeShare struct {
	// Mode is a content mode id (battle_1v1, battle_3v3, battle_5v5,
	// raid, ritual).
	Mode string `json:"mode"`
	// Share weighs the mode against the others. Default 1.
	Share float64 `json:"share"`
	// RoomSize is the seats of each room the bench creates (direct only):
	// the mode's full teams for battles, 1..40 for a raid, 2..6 for a
	// ritual. Default: the mode's match size (8 for a raid).
	RoomSize int `json:"room_size"`
	// Arena is the content arena/boss/chamber of created rooms (direct);
	// "" picks the mode's default.
	Arena string `json:"arena"`
}

// TransportMix splits bots between the transports.
type TransportMix struct {
	// KCP is the share of bots on KCP, 0..1; the rest use WebSocket. A
	// missing transport block means 0.5.
	KCP *float64 `json:"kcp"`
}

// kcpShare returns the KCP share with its default.
func (t TransportMix) kcpShare() float64 {
	if t.KCP == nil {
		return 0.5
	}
	return *t.KCP
}

// Behaviour is what a bot does in a room and between matches.
type Behaviour struct {
	// Pattern is PatternBot, PatternWander or PatternIdle. Default bot.
	Pattern string `json:"pattern"`
	// InputHz is how often a bot may send an input (it sends at most one
	// per snapshot it has not acted on yet). Default 30.
	InputHz int `json:"input_hz"`
	// PlayOnce ends each bot after its first match (lobby); the run ends
	// when every bot is done or the first stage's duration passes.
	PlayOnce bool `json:"play_once"`
	// DropEvery cuts each bot's connection this often while it plays (the
	// client resumes on the same transport; with ResumeSwitch on the
	// other), to exercise resume. 0: never.
	DropEvery Duration `json:"drop_every"`
	// ResumeSwitch makes resumes after a drop use the other transport.
	ResumeSwitch bool `json:"resume_switch"`
	// QuitEvery makes a playing bot leave for good this often (it closes
	// its client and, on the lobby path, queues again). 0: never.
	QuitEvery Duration `json:"quit_every"`
}

// Network is what the bench's loopback proxy does to every bot's link
// when any field is set: each packet (KCP) or chunk (WebSocket) waits
// Latency plus a uniform draw in [-Jitter, +Jitter], each way. Loss,
// Duplicate and Reorder are probabilities per UDP datagram; a TCP stream
// cannot lose, duplicate or reorder, so they do not apply to WebSocket.
type Network struct {
	Latency   Duration `json:"latency"`
	Jitter    Duration `json:"jitter"`
	Loss      float64  `json:"loss"`
	Duplicate float64  `json:"duplicate"`
	// Reorder holds a datagram back by an extra Latency+Jitter (at least
	// 5 ms) so later ones overtake it.
	Reorder float64 `json:"reorder"`
	// Seed seeds the proxy's random draws (0: from the clock).
	Seed uint64 `json:"seed"`
}

// Active reports whether the network needs the proxy.
func (n Network) Active() bool {
	return n.Latency > 0 || n.Jitter > 0 || n.Loss > 0 || n.Duplicate > 0 || n.Reorder > 0
}

// Duration is a time.Duration written in JSON as a Go duration string.
type Duration time.Duration

// MarshalJSON writes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a duration string ("90s") or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		*d = Duration(v)
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("duration: want a string like \"30s\" or seconds, got %s", b)
	}
	*d = Duration(secs * float64(time.Second))
	return nil
}

//go:embed scenarios/*.json
var bundled embed.FS

// Scenarios lists the bundled scenarios' names, sorted.
func Scenarios() []string {
	entries, _ := bundled.ReadDir("scenarios")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".json"))
	}
	slices.Sort(names)
	return names
}

// LoadScenario returns the bundled scenario called name, or, when name
// contains a path separator or ends in .json, the file at that path.
func LoadScenario(name string) (Scenario, error) {
	var raw []byte
	var err error
	if strings.ContainsRune(name, os.PathSeparator) || strings.Contains(name, "/") || strings.HasSuffix(name, ".json") {
		raw, err = os.ReadFile(name)
		if err != nil {
			return Scenario{}, fmt.Errorf("bench: scenario: %w", err)
		}
	} else if raw, err = bundled.ReadFile("scenarios/" + name + ".json"); err != nil {
		return Scenario{}, fmt.Errorf("bench: unknown scenario %q (bundled: %s; or give a path to a .json file)", name, strings.Join(Scenarios(), ", "))
	}
	sc, err := ParseScenario(raw)
	if err != nil {
		return Scenario{}, fmt.Errorf("bench: scenario %s: %w", name, err)
	}
	if sc.Name == "" {
		sc.Name = strings.TrimSuffix(path.Base(strings.ReplaceAll(name, string(os.PathSeparator), "/")), ".json")
	}
	return sc, nil
}

// ParseScenario decodes a scenario, refusing unknown fields (a typo in a
// load test should fail loudly, not run a different test), and validates it.
func ParseScenario(raw []byte) (Scenario, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var sc Scenario
	if err := dec.Decode(&sc); err != nil {
		return Scenario{}, err
	}
	return sc, sc.Validate()
}

// withDefaults fills the zero fields.
func (s Scenario) withDefaults() Scenario {
	if s.Concurrency == 0 {
		s.Concurrency = 32
	}
	if s.Clients == 0 {
		s.Clients = 1000
	}
	if s.Settle == 0 {
		s.Settle = Duration(3 * time.Second)
	}
	if s.Behaviour.Pattern == "" {
		s.Behaviour.Pattern = PatternBot
	}
	if s.Behaviour.InputHz == 0 {
		s.Behaviour.InputHz = 30
	}
	s.Modes = slices.Clone(s.Modes)
	for i := range s.Modes {
		if s.Modes[i].Share == 0 {
			s.Modes[i].Share = 1
		}
	}
	if s.Timeout == 0 {
		s.Timeout = Duration(2 * time.Minute)
		if s.Kind == KindLobby || s.Kind == KindDirect {
			s.Timeout = Duration(s.Length() + time.Minute)
		}
	}
	return s
}

// Validate reports every problem with s.
func (s Scenario) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	switch s.Kind {
	case KindLobby, KindDirect:
		if len(s.Stages) == 0 {
			bad("no stages")
		}
		for i, st := range s.Stages {
			if st.Duration <= 0 || st.Bots < 0 || st.Bots > maxBots {
				bad("stage %d: duration %v, bots %d (want a positive duration and 0..%d bots)", i, time.Duration(st.Duration), st.Bots, maxBots)
			}
		}
		if len(s.Modes) == 0 {
			bad("no modes")
		}
		if s.Kind == KindDirect && s.Behaviour.PlayOnce {
			bad("play_once is for the lobby kind")
		}
	case KindLogin, KindIdle:
	default:
		bad("kind %q: want %s, %s, %s or %s", s.Kind, KindLobby, KindDirect, KindLogin, KindIdle)
	}
	for i, m := range s.Modes {
		if m.Mode == "" || m.Share < 0 || m.RoomSize < 0 || m.RoomSize > 40 {
			bad("mode %d: %q share %v room size %d", i, m.Mode, m.Share, m.RoomSize)
		}
	}
	if k := s.Transport.kcpShare(); k < 0 || k > 1 {
		bad("transport kcp share %v outside 0..1", k)
	}
	switch s.Behaviour.Pattern {
	case "", PatternBot, PatternWander, PatternIdle:
	default:
		bad("behaviour pattern %q: want %s, %s or %s", s.Behaviour.Pattern, PatternBot, PatternWander, PatternIdle)
	}
	if s.Behaviour.InputHz < 0 || s.Behaviour.InputHz > 120 {
		bad("input_hz %d outside 0..120", s.Behaviour.InputHz)
	}
	if s.Behaviour.DropEvery < 0 || s.Behaviour.QuitEvery < 0 {
		bad("drop_every and quit_every must not be negative")
	}
	if err := s.Network.validate(); err != nil {
		errs = append(errs, err)
	}
	for _, t := range s.Thresholds {
		if _, err := parseThreshold(t); err != nil {
			errs = append(errs, err)
		}
	}
	if s.LoginRate < 0 || s.Concurrency < 0 || s.Clients < 0 || s.Settle < 0 || s.Timeout < 0 {
		bad("login_rate, concurrency, clients, settle and timeout must not be negative")
	}
	maxClients := 5000
	if s.Kind == KindLogin {
		maxClients = 100_000 // logins hold nothing open
	}
	if s.Clients > maxClients {
		bad("clients %d over %d", s.Clients, maxClients)
	}
	for m, hz := range s.TickRates {
		if hz < 10 || hz > 120 {
			bad("tick rate of %s: %d Hz outside 10..120", m, hz)
		}
	}
	return errors.Join(errs...)
}

func (n Network) validate() error {
	for _, p := range []float64{n.Loss, n.Duplicate, n.Reorder} {
		if p < 0 || p > 0.9 {
			return fmt.Errorf("network: loss, duplicate and reorder are probabilities in 0..0.9, got %v", p)
		}
	}
	if n.Latency < 0 || n.Jitter < 0 || n.Latency > Duration(5*time.Second) || n.Jitter > n.Latency+Duration(time.Second) {
		return fmt.Errorf("network: latency %v and jitter %v: want 0..5s, jitter at most latency + 1s", time.Duration(n.Latency), time.Duration(n.Jitter))
	}
	return nil
}

// maxBots bounds a stage's bots: one bench process, one machine.
const maxBots = 20_000

// Length is the sum of the stages' durations.
func (s Scenario) Length() time.Duration {
	var d time.Duration
	for _, st := range s.Stages {
		d += time.Duration(st.Duration)
	}
	return d
}

// PeakBots is the most bots any stage asks for.
func (s Scenario) PeakBots() int {
	n := 0
	for _, st := range s.Stages {
		n = max(n, st.Bots)
	}
	return n
}

// target is the bot count the stages ask for at elapsed time t: linear
// within a stage from the previous stage's count.
func (s Scenario) target(t time.Duration) int {
	from := 0
	for _, st := range s.Stages {
		d := time.Duration(st.Duration)
		if t < d {
			return from + int(float64(st.Bots-from)*float64(t)/float64(d)+0.5)
		}
		t -= d
		from = st.Bots
	}
	return from
}

// ParseNetwork parses network conditions written as a flag:
// "latency=150ms,jitter=20ms,loss=0.05,dup=0.01,reorder=0.02,seed=7"
// (loss, dup and reorder are probabilities; a trailing % divides by 100).
func ParseNetwork(spec string) (Network, error) {
	var n Network
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return n, fmt.Errorf("bench: network %q: want key=value", part)
		}
		prob := func() (float64, error) {
			pct := strings.HasSuffix(v, "%")
			f, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
			if pct {
				f /= 100
			}
			return f, err
		}
		var err error
		switch k {
		case "latency", "delay":
			var d time.Duration
			d, err = time.ParseDuration(v)
			n.Latency = Duration(d)
		case "jitter":
			var d time.Duration
			d, err = time.ParseDuration(v)
			n.Jitter = Duration(d)
		case "loss":
			n.Loss, err = prob()
		case "dup", "duplicate":
			n.Duplicate, err = prob()
		case "reorder":
			n.Reorder, err = prob()
		case "seed":
			n.Seed, err = strconv.ParseUint(v, 10, 64)
		default:
			return n, fmt.Errorf("bench: network: unknown key %q (latency, jitter, loss, dup, reorder, seed)", k)
		}
		if err != nil {
			return n, fmt.Errorf("bench: network %s: %w", part, err)
		}
	}
	return n, n.validate()
}
