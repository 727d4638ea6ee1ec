package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/bench"
)

// startBenchDev starts `pantheon dev` in-process on 127.0.0.1:0 for the
// bench tests.
func startBenchDev(t *testing.T, ctx context.Context) *devSystem {
	t.Helper()
	o := testDevOptions(t, "")
	o.Lobby.AdminAddr = "127.0.0.1:0"
	o.Room.Server.TickRates = map[string]int{"raid": 30}
	d, err := startDev(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := d.waitReady(rctx); err != nil {
		t.Fatal(err)
	}
	return d
}

// runBenchLogged runs cfg against servers in this process with its
// progress lines stamped, logs them and the text report, and fails the
// test when the run cannot be carried out.
func runBenchLogged(t *testing.T, ctx context.Context, cfg bench.Config) (bench.Report, *stampedWriter) {
	t.Helper()
	progress := newStampedWriter()
	cfg.Progress, cfg.InProcess = progress, true
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	t.Logf("progress:\n%s\nreport:\n%s", progress.text(), text.String())
	return rep, progress
}

// TestBenchCountsAgreeWithServer runs a short lobby scenario (login, queue,
// match, play over KCP and WebSocket) against an in-process system and
// checks that what the bots counted agrees with the room server's own
// /metrics: frame bytes each way and snapshot frames. The clients are all
// closed before the last scrape; a frame the server wrote as a client was
// closing may never be read, so the counts may differ by a few frames per
// connection, no more.
func TestBenchCountsAgreeWithServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	d := startBenchDev(t, ctx)
	kcp := 0.5
	sc := bench.Scenario{Name: "test-lobby", Kind: bench.KindLobby,
		Stages:    []bench.Stage{{Duration: bench.Duration(time.Second), Bots: 4}, {Duration: bench.Duration(5 * time.Second), Bots: 4}},
		Modes:     []bench.ModeShare{{Mode: "battle_1v1"}},
		Transport: bench.TransportMix{KCP: &kcp}, Behaviour: bench.Behaviour{Pattern: bench.PatternBot, InputHz: 30}}
	rep, progress := runBenchLogged(t, ctx, bench.Config{Spec: &sc, Lobby: d.lobbyURL, FleetSecret: d.fleetSecret, LobbyAdmin: "http://" + d.lobbyAdmin})
	sw := rep.Swarm
	if sw == nil || sw.Bots != 4 || sw.Matches < 2 || rep.Failed != 0 {
		t.Fatalf("bots %+v, failed %d: %v", sw, rep.Failed, rep.Errors)
	}
	for _, name := range []string{"login", "queue", "join", "input_ack", "rtt", "snapshot_jitter"} {
		if l := sw.Latency[name]; l.Count == 0 || l.P50 <= 0 || l.P50 > l.P99 || l.P99 > l.Max {
			t.Errorf("%s: %+v", name, l)
		}
	}
	var room *bench.ServerReport
	for i := range rep.Servers {
		if rep.Servers[i].Kind == "room" {
			room = &rep.Servers[i]
		}
	}
	if room == nil || room.Scrapes < 3 {
		t.Fatalf("room server not scraped: %+v", rep.Servers)
	}
	progress.checkEvery(t, 2*time.Second, rep.Duration)
	conns := float64(sw.Finished + sw.Disconnects["run_end"] + 4)
	near := func(what string, bots, server float64, perConn float64) {
		t.Helper()
		if server <= 0 || math.Abs(bots-server) > 0.01*server+perConn*conns {
			t.Errorf("%s: the bots counted %.0f, the server %.0f", what, bots, server)
		}
	}
	near("bytes from the server", float64(sw.BytesIn), room.BytesOut, 600)
	near("bytes to the server", float64(sw.BytesOut), room.BytesIn, 200)
	near("snapshots", float64(sw.Snapshots), room.SnapshotsSent, 4)
	if len(room.Tick) == 0 || room.Tick["battle_1v1"].Count == 0 {
		t.Errorf("no tick histogram scraped: %+v", room.Tick)
	}
	if rep.Run.Time.IsZero() || rep.Run.Scenario.Name != "test-lobby" || len(rep.Series) < 4 {
		t.Errorf("header %+v, %d points", rep.Run, len(rep.Series))
	}
}

// TestBenchCommandThresholdExit runs `pantheon bench` on a short direct
// scenario file (a room of 4 created on the control API) against an
// in-process system: with a threshold it cannot meet it exits with the
// threshold code and writes report.json and a self-contained report.html;
// with an easy one it exits 0.
func TestBenchCommandThresholdExit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	d := startBenchDev(t, ctx)
	dir := t.TempDir()
	file := filepath.Join(dir, "tiny.json")
	if err := os.WriteFile(file, []byte(`{"kind": "direct", "stages": [{"duration": "3s", "bots": 4}],
		"modes": [{"mode": "raid", "room_size": 4}], "tick_rates": {"raid": 30}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte(d.fleetSecret), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(out string, extra ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		args := append([]string{"--scenario", file, "--target", "http://" + d.room.AdminAddr(), "--fleet-secret", "@" + secret, "--quiet"}, extra...)
		if out != "" {
			args = append(args, "--out", out)
		}
		code := runBench(ctx, args, &stdout, &stderr)
		return code, stdout.String() + stderr.String()
	}
	out := filepath.Join(dir, "out")
	code, text := run(out, "--threshold", "rtt.p50<1us")
	if code != bench.ThresholdExitCode || !strings.Contains(text, "threshold FAIL rtt.p50<1us") {
		t.Fatalf("exit %d, want %d:\n%s", code, bench.ThresholdExitCode, text)
	}
	raw, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Run struct {
			Time     time.Time `json:"time"`
			Scenario struct {
				Kind string `json:"kind"`
			} `json:"scenario"`
		} `json:"run"`
		DurationMs float64 `json:"duration_ms"`
		Passed     bool    `json:"passed"`
		Bots       struct {
			Latency map[string]map[string]float64 `json:"latency"`
		} `json:"bots"`
	}
	if err := json.Unmarshal(raw, &back); err != nil || back.Run.Time.IsZero() || back.Run.Scenario.Kind != "direct" || back.Passed || back.DurationMs < 2000 {
		t.Fatalf("report.json: %v %+v", err, back)
	}
	if back.Bots.Latency["rtt"]["p50_ms"] <= 0 || back.Bots.Latency["match_create"]["count"] != 1 {
		t.Errorf("latencies %v", back.Bots.Latency)
	}
	html, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`createElement("canvas")`, "Chart.js v4.6.1", "rtt.p50&lt;1us"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if bytes.Contains(html, []byte("<script src=")) {
		t.Error("report.html loads a script from elsewhere")
	}
	checkReportInBrowser(t, filepath.Join(out, "report.html"))
	if code, text := run("", "--threshold", "rtt.p50<10s", "--no-default-thresholds"); code != 0 {
		t.Fatalf("exit %d with an easy threshold:\n%s", code, text)
	}
}

// reportSummary is the last line web/test/report.mjs prints.
type reportSummary struct {
	OK       bool     `json:"ok"`
	Charts   int      `json:"charts"`
	Canvases int      `json:"canvases"`
	Drawn    []string `json:"drawn"`
	Empty    []string `json:"empty"`
	Errors   []string `json:"errors"`
}

// checkReportInBrowser opens an HTML report in headless Chromium driven by
// playwright-core (web/test/report.mjs, as the page's browser test does)
// and checks that it loads nothing from elsewhere, logs no console error,
// throws nothing, and draws every chart: each canvas holds a Chart.js
// chart with data points laid out in its area and painted pixels, at
// least 8 of them (histograms, percentiles, bytes, ticks, bots, CPU).
func checkReportInBrowser(t *testing.T, file string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run := runBrowserScript(t, ctx, "report.mjs", "--file", file, "--timeout-ms", "90000")
	var sum reportSummary
	if err := json.Unmarshal([]byte(run.last), &sum); err != nil {
		t.Fatalf("report script: %v; no summary (%v)\nstdout:\n%s\nstderr:\n%s", run.err, err, run.stdout, run.stderr)
	}
	t.Logf("Chromium drew %d charts: %s", len(sum.Drawn), strings.Join(sum.Drawn, "; "))
	if run.err != nil || !sum.OK {
		t.Fatalf("the report in Chromium (%v): %d charts built, %d canvases, empty: %v\nerrors:\n  %s\nstderr:\n%s",
			run.err, sum.Charts, sum.Canvases, sum.Empty, strings.Join(sum.Errors, "\n  "), run.stderr)
	}
	if len(sum.Drawn) < 8 {
		t.Errorf("Chromium drew %d charts, want at least 8 (histograms, percentiles, bytes, ticks, bots, CPU)", len(sum.Drawn))
	}
}

// TestShippedScenariosRun runs every shipped load scenario (smoke, arena,
// duel-ladder, raid40, ritual6, soak, capacity; match, login and idle are
// pantheon dev's start-up bots, TestLoginBench and TestIdleScenario) end
// to end against one in-process system, each as its file says but for a
// smaller count and a few seconds (soak also cuts connections every 2 s
// instead of every minute so its resumes happen): the lobby ones log in,
// queue, get matched and play; the direct ones create rooms on the
// control API and play. No error but the lobby's "unavailable, retry
// later" (its store on a loaded machine) is allowed; every mode the file
// names must have been played (joined, inputs acked, snapshots), every
// threshold the file sets must have been checked, the bench must report
// its own CPU, and a progress line must have come at least every 2 s.
// Whether the thresholds held is not asserted: that depends on the
// machine.
func TestShippedScenariosRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	d := startBenchDev(t, ctx)
	cases := []struct {
		name     string
		bots     int
		duration time.Duration
	}{
		{"smoke", 12, 10 * time.Second},
		{"arena", 16, 6 * time.Second},
		{"duel-ladder", 6, 8 * time.Second},
		{"raid40", 40, 6 * time.Second},
		{"ritual6", 6, 8 * time.Second},
		{"capacity", 16, 5 * time.Second},
		{"soak", 30, 12 * time.Second}, // 15 duellists, 9 skirmishers, 6 ritualists (a ritual short of six waits longer than the run),
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc, err := bench.LoadScenario(c.name)
			if err != nil {
				t.Fatal(err)
			}
			if c.name == "soak" {
				if sc.Behaviour.DropEvery == 0 {
					t.Fatal("soak cuts no connections")
				}
				sc.Behaviour.DropEvery = bench.Duration(2 * time.Second)
			}
			// Logins at 10/s at most: the lobby's store on a machine
			// shared with other tests (and the race detector) is not
			// what this test is about.
			rate := 10.0
			if sc.LoginRate > 0 {
				rate = min(sc.LoginRate, rate)
			}
			rep, progress := runBenchLogged(t, ctx, bench.Config{Spec: &sc, Clients: c.bots, Duration: c.duration, LoginRate: rate,
				Lobby: d.lobbyURL, LobbyAdmin: "http://" + d.lobbyAdmin, Target: "http://" + d.room.AdminAddr(), FleetSecret: d.fleetSecret})
			sw := rep.Swarm
			if sw == nil {
				t.Fatal("no bots report")
			}
			// A lobby whose store is slow on a loaded machine answers
			// 503 unavailable (retry later): the system under test
			// refusing, not the bench failing; logged, not failed.
			// Every other error fails.
			for cause, n := range sw.Errors {
				if strings.HasSuffix(cause, ": unavailable") {
					t.Logf("%d bots refused: %s (the lobby's store under load)", n, cause)
				} else {
					t.Errorf("%d errors: %s (%v)", n, cause, rep.Errors)
				}
			}
			if sw.Bots != c.bots {
				t.Fatalf("%d bots started, want %d", sw.Bots, c.bots)
			}
			played := map[string]bool{}
			for _, k := range sw.ByKey {
				if k.Latency["join"].Count > 0 && k.Latency["input_ack"].Count > 0 && k.Snapshots > 0 {
					played[k.Mode] = true
				}
			}
			for _, m := range sc.Modes {
				if !played[m.Mode] {
					t.Errorf("mode %s was not played (joined, inputs acked, snapshots)", m.Mode)
				}
			}
			if sc.Kind == bench.KindLobby && sw.Latency["login"].Count < c.bots {
				t.Errorf("%d logins for %d bots", sw.Latency["login"].Count, c.bots)
			}
			if sc.Kind == bench.KindDirect && sw.Latency["match_create"].Count == 0 {
				t.Error("no room created on the control API")
			}
			if c.name == "soak" && sw.Resumes == 0 {
				t.Error("soak: no connection resumed")
			}
			checked := map[string]bool{}
			for _, th := range rep.Thresholds {
				checked[th.Threshold] = true
			}
			for _, spec := range append(slices.Clone(sc.Thresholds), bench.DefaultThresholds...) {
				if !checked[spec] {
					t.Errorf("threshold %s not checked (checked %v)", spec, rep.Thresholds)
				}
			}
			if rep.Bench.CPUSeconds <= 0 {
				t.Errorf("the bench reported no CPU of its own: %+v", rep.Bench)
			}
			progress.checkEvery(t, 2*time.Second, rep.Duration)
		})
	}
}

// stampedWriter records when each progress line was written and, from a
// heartbeat goroutine ticking every 100 ms, the longest stretch the
// process went without being scheduled: on a machine shared with other
// tests a starved process prints late through no fault of the bench, so
// checkEvery allows a gap that much longer.
type stampedWriter struct {
	mu    sync.Mutex
	start time.Time
	lines []string
	at    []time.Duration
	stall time.Duration
	stop  chan struct{}
	done  chan struct{}
}

func newStampedWriter() *stampedWriter {
	w := &stampedWriter{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		const beat = 100 * time.Millisecond
		t := time.NewTicker(beat)
		defer t.Stop()
		last := time.Now()
		for {
			select {
			case <-w.stop:
				return
			case <-t.C:
				now := time.Now()
				w.mu.Lock()
				w.stall = max(w.stall, now.Sub(last)-beat)
				w.mu.Unlock()
				last = now
			}
		}
	}()
	return w
}

func (w *stampedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.start.IsZero() {
		w.start = time.Now()
	}
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.lines = append(w.lines, l)
		w.at = append(w.at, time.Since(w.start))
	}
	return len(p), nil
}

func (w *stampedWriter) text() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.lines, "\n")
}

// checkEvery stops the heartbeat and fails unless a line came at least
// every gap (plus the longest stall of the process) over a run of length
// run.
func (w *stampedWriter) checkEvery(t *testing.T, gap, run time.Duration) {
	t.Helper()
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	if want := int(run/(gap+w.stall)) - 1; len(w.at) < want {
		t.Errorf("%d progress lines in %v, want at least %d (one every %v; the process stalled up to %v)", len(w.at), run, want, gap, w.stall)
	}
	for i := 1; i < len(w.at); i++ {
		if d := w.at[i] - w.at[i-1]; d > gap+w.stall {
			t.Errorf("progress lines %d and %d came %v apart, want at most %v (the process stalled up to %v)", i, i+1, d, gap, w.stall)
		}
	}
	if w.stall > 0 {
		t.Logf("the process stalled up to %v during the run", w.stall)
	}
}

// TestBenchCommandTargets: `pantheon bench` refuses a non-loopback target
// (usage exit, naming --allow-host) and takes it, with a warning, when
// --allow-host names it. No run starts: a bad threshold stops the second
// command at validation, after the target was accepted, so nothing is sent
// off this machine.
func TestBenchCommandTargets(t *testing.T) {
	ctx := context.Background()
	base := []string{"--scenario", "arena", "--fleet-secret", "x", "--quiet", "--target", "http://10.1.2.3:7002"}
	var stdout, stderr bytes.Buffer
	if code := runBench(ctx, base, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "not a loopback address") ||
		!strings.Contains(stderr.String(), "--allow-host") {
		t.Fatalf("non-loopback target: exit %d\n%s", code, stderr.String())
	}
	stderr.Reset()
	code := runBench(ctx, append(base, "--allow-host", "10.1.2.3", "--threshold", "nonsense"), &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "WARNING: 10.1.2.3 is allowed as a target") ||
		strings.Contains(stderr.String(), "not a loopback") || !strings.Contains(stderr.String(), "nonsense") {
		t.Fatalf("allowed target: exit %d\n%s", code, stderr.String())
	}
}
