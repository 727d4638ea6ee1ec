package bench

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/netcode"
)

func TestBundledScenariosParse(t *testing.T) {
	names := Scenarios()
	for _, want := range []string{"smoke", "arena", "duel-ladder", "raid40", "ritual6", "soak", "match", "login", "idle"} {
		if !slices.Contains(names, want) {
			t.Errorf("scenario %s not bundled (have %v)", want, names)
		}
	}
	bundle, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		sc, err := LoadScenario(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if sc.Name != name || sc.Description == "" {
			t.Errorf("%s: name %q, description %q", name, sc.Name, sc.Description)
		}
		for _, m := range sc.Modes {
			if _, ok := bundle.Mode(m.Mode); !ok {
				t.Errorf("%s: unknown mode %s", name, m.Mode)
			}
		}
		if name == "smoke" && sc.Length() >= time.Minute {
			t.Errorf("smoke lasts %v, want under a minute", sc.Length())
		}
	}
	arena, _ := LoadScenario("arena")
	if arena.Kind != KindDirect || arena.Modes[0].RoomSize != 8 || arena.TickRates["raid"] != 30 {
		t.Errorf("arena: %+v", arena)
	}
}

func TestScenarioFileAndErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "mine.json")
	os.WriteFile(good, []byte(`{"kind":"direct","stages":[{"duration":"10s","bots":8},{"duration":20,"bots":16}],"modes":[{"mode":"raid"}]}`), 0o644)
	sc, err := LoadScenario(good)
	if err != nil || sc.Name != "mine" || sc.Length() != 30*time.Second || sc.PeakBots() != 16 {
		t.Fatalf("%+v %v", sc, err)
	}
	// The ramp: linear within a stage, from the previous stage's count.
	for _, c := range []struct {
		at   time.Duration
		want int
	}{{0, 0}, {5 * time.Second, 4}, {10 * time.Second, 8}, {20 * time.Second, 12}, {time.Hour, 16}} {
		if got := sc.target(c.at); got != c.want {
			t.Errorf("target at %v = %d, want %d", c.at, got, c.want)
		}
	}
	for _, bad := range []string{
		`{"kind":"direct","stages":[{"duration":"10s","bots":8}],"modes":[{"mode":"raid"}],"botz":3}`, // typo
		`{"kind":"direct","stages":[],"modes":[{"mode":"raid"}]}`,
		`{"kind":"warp","stages":[{"duration":"1s","bots":1}],"modes":[{"mode":"raid"}]}`,
		`{"kind":"lobby","stages":[{"duration":"1s","bots":1}],"modes":[{"mode":"raid"}],"thresholds":["rtt.p99<fast"]}`,
		`{"kind":"lobby","stages":[{"duration":"1s","bots":1}],"modes":[{"mode":"raid"}],"network":{"loss":2}}`,
	} {
		if _, err := ParseScenario([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	if _, err := LoadScenario("no-such-scenario"); err == nil || !strings.Contains(err.Error(), "smoke") {
		t.Errorf("unknown scenario: %v", err)
	}
}

func TestConfigOverrides(t *testing.T) {
	r, err := Config{Scenario: "arena", FleetSecret: "x", Clients: 800, Duration: 2 * time.Minute, KCPFraction: -1}.resolve()
	if err != nil {
		t.Fatal(err)
	}
	if r.sc.PeakBots() != 800 || r.sc.Length() != 2*time.Minute || r.sc.Transport.kcpShare() != 0 {
		t.Fatalf("%+v", r.sc)
	}
	if err := r.validate(); err != nil {
		t.Fatal(err)
	}
	if got := r.thresholdSpecs(); !slices.Contains(got, "login.p95<300ms") || !slices.Contains(got, "rtt.p99<50ms") {
		t.Errorf("thresholds %v", got)
	}
}

func TestParseThreshold(t *testing.T) {
	for spec, want := range map[string]Threshold{
		"input_ack.p99<100ms": {Metric: "input_ack", Stat: "p99", Op: "<", Value: 100},
		"login.p95 < 0.3s":    {Metric: "login", Stat: "p95", Op: "<", Value: 300},
		"rtt.max<=250us":      {Metric: "rtt", Stat: "max", Op: "<=", Value: 0.25},
		"errors<1":            {Metric: "errors", Op: "<", Value: 1},
		"failures.count<1":    {Metric: "errors", Op: "<", Value: 1},
		"tick_raid.p99<2ms":   {Metric: "tick_raid", Stat: "p99", Op: "<", Value: 2},
		"join.count>=10":      {Metric: "join", Stat: "count", Op: ">=", Value: 10},
	} {
		got, err := ParseThreshold(spec)
		want.Spec = strings.TrimSpace(spec)
		if err != nil || got != want {
			t.Errorf("%q: got %+v %v, want %+v", spec, got, err, want)
		}
	}
	for _, bad := range []string{"rtt<5ms", "rtt.p99<5", "speed.p99<5ms", "errors.p99<1", "rtt.p77<1ms", "rtt.p99 = 5ms"} {
		if _, err := ParseThreshold(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	rep := &Report{Swarm: &SwarmReport{Latency: map[string]Latency{"rtt": {Count: 10, P99: 4 * time.Millisecond}}}}
	th, _ := ParseThreshold("rtt.p99<5ms")
	if r := th.check(rep); !r.Passed || r.Actual != 4 {
		t.Errorf("%+v", r)
	}
	th, _ = ParseThreshold("rtt.p99<3ms")
	if r := th.check(rep); r.Passed {
		t.Errorf("%+v", r)
	}
	th, _ = ParseThreshold("login.p95<300ms")
	if r := th.check(rep); !r.Passed || !r.NoData {
		t.Errorf("no samples: %+v", r)
	}
}

func TestParseNetwork(t *testing.T) {
	n, err := ParseNetwork("latency=150ms,jitter=20ms,loss=5%,dup=0.01,reorder=0.02,seed=7")
	want := Network{Latency: Duration(150 * time.Millisecond), Jitter: Duration(20 * time.Millisecond), Loss: 0.05, Duplicate: 0.01, Reorder: 0.02, Seed: 7}
	if err != nil || n != want || !n.Active() {
		t.Fatalf("%+v %v", n, err)
	}
	for _, bad := range []string{"latency", "loss=1.5", "speed=3", "latency=-1s"} {
		if _, err := ParseNetwork(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestHistQuantiles(t *testing.T) {
	var h hist
	var exact []time.Duration
	for i := 1; i <= 10000; i++ {
		d := time.Duration(i*i) * time.Microsecond / 100 // 10 ns .. 1 s, skewed
		h.add(d)
		exact = append(exact, d)
	}
	want := summarize(exact)
	got := h.latency()
	for _, c := range []struct {
		name      string
		got, want time.Duration
	}{{"p50", got.P50, want.P50}, {"p95", got.P95, want.P95}, {"p99", got.P99, want.P99}} {
		if rel := math.Abs(float64(c.got-c.want)) / float64(c.want); rel > 0.011 {
			t.Errorf("%s: %v, exact %v (%.2f%% off)", c.name, c.got, c.want, 100*rel)
		}
	}
	if got.Max != want.Max || got.Count != want.Count || got.Mean != want.Mean {
		t.Errorf("max/count/mean %+v, want %+v", got, want)
	}
	var m hist
	m.merge(&h)
	m.merge(&h)
	if m.n != 2*h.n || m.quantile(0.5) != h.quantile(0.5) {
		t.Errorf("merge: %d samples, p50 %v vs %v", m.n, m.quantile(0.5), h.quantile(0.5))
	}
}

func TestSnapshotInputAck(t *testing.T) {
	cur := &netcode.Snapshot{Tick: 70000, Entities: []netcode.Entity{{ID: 1}}}
	base := &netcode.Snapshot{Tick: 69990, Entities: []netcode.Entity{{ID: 1}}}
	for _, ack := range []uint32{0, 5, 127, 128, 300, 70000, 1 << 20, math.MaxUint32} {
		for _, b := range []*netcode.Snapshot{nil, base} {
			tick, got, ok := snapshotInputAck(netcode.AppendSnapshot(nil, b, cur, ack))
			if !ok || got != ack || tick != cur.Tick {
				t.Errorf("ack %d: got tick %d ack %d %v", ack, tick, got, ok)
			}
		}
	}
	if _, _, ok := snapshotInputAck([]byte{0x97, 17}); ok {
		t.Error("truncated frame accepted")
	}
}

func TestPromHistQuantile(t *testing.T) {
	p, err := parsePage(strings.NewReader(`# TYPE x histogram
pantheon_room_tick_duration_seconds_bucket{mode="raid",le="0.001"} 50
pantheon_room_tick_duration_seconds_bucket{mode="raid",le="0.002"} 90
pantheon_room_tick_duration_seconds_bucket{mode="raid",le="0.004"} 100
pantheon_room_tick_duration_seconds_bucket{mode="raid",le="+Inf"} 100
pantheon_room_tick_duration_seconds_bucket{mode="duel",le="0.001"} 0
pantheon_room_tick_duration_seconds_bucket{mode="duel",le="0.002"} 0
pantheon_room_tick_duration_seconds_bucket{mode="duel",le="0.004"} 0
pantheon_room_tick_duration_seconds_bucket{mode="duel",le="+Inf"} 0
`))
	if err != nil {
		t.Fatal(err)
	}
	h := p.histograms("pantheon_room_tick_duration_seconds", "mode")
	raid := h["raid"]
	if raid.count() != 100 || math.Abs(raid.quantile(0.5)-0.001) > 1e-9 || math.Abs(raid.quantile(0.7)-0.0015) > 1e-9 || math.Abs(raid.quantile(0.95)-0.003) > 1e-9 {
		t.Fatalf("raid: count %v p50 %v p70 %v p95 %v", raid.count(), raid.quantile(0.5), raid.quantile(0.7), raid.quantile(0.95))
	}
	if h["duel"].count() != 0 || h["duel"].latency() != (Latency{}) {
		t.Errorf("empty histogram: %+v", h["duel"].latency())
	}
}

func TestModeAndTransportPicks(t *testing.T) {
	kcp := 0.25
	s := &swarm{sc: Scenario{Modes: []ModeShare{{Mode: "a", Share: 2}, {Mode: "b", Share: 1}}, Transport: TransportMix{KCP: &kcp}}}
	count, onKCP := map[string]int{}, map[string]int{}
	for n := range 12 {
		m, k := s.pick()
		count[m.Mode]++
		if k {
			onKCP[m.Mode]++
		}
		if n == 2 && (count["a"] != 2 || count["b"] != 1) {
			t.Fatalf("after 3 bots: %v", count)
		}
	}
	// Each mode gets its quarter on KCP, not one mode all of it.
	if count["a"] != 8 || count["b"] != 4 || onKCP["a"] != 2 || onKCP["b"] != 1 {
		t.Fatalf("12 bots: %v, on KCP %v", count, onKCP)
	}
	// Two modes of equal shares at half on KCP: each mode half and half
	// (a global running share would put one mode all on KCP).
	half := 0.5
	s = &swarm{sc: Scenario{Modes: []ModeShare{{Mode: "a", Share: 1}, {Mode: "b", Share: 1}}, Transport: TransportMix{KCP: &half}}}
	count, onKCP = map[string]int{}, map[string]int{}
	for range 12 {
		m, k := s.pick()
		count[m.Mode]++
		if k {
			onKCP[m.Mode]++
		}
	}
	if count["a"] != 6 || onKCP["a"] != 3 || onKCP["b"] != 3 {
		t.Fatalf("12 bots: %v, on KCP %v", count, onKCP)
	}
}
