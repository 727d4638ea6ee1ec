package bench

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs/content"

	"github.com/pantheon-oracles/pantheon/server"
)

// testRoomServer starts an in-process room server on 127.0.0.1 that takes
// a swarm from one address.
func testRoomServer(t *testing.T, tickRates map[string]int) (*server.Server, string) {
	t.Helper()
	bundle, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	const secret = "bench-test-fleet-secret-0123456789"
	srv, err := server.New(server.Config{
		KCPAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0",
		TicketKey: bytes.Repeat([]byte("k"), 32), FleetSecret: secret, TickRates: tickRates,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), DrainTimeout: time.Second,
		ConnsPerIP: 1 << 16, PendingPerAddr: 256, PendingPerPrefix: 256,
	}, bundle, server.NewMemorySink())
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown() })
	return srv, secret
}

// TestDirectThroughBadNetwork plays rooms created on the control API with
// every bot's link through the proxy at 30 ms each way and 5% loss (KCP
// and WebSocket): nothing fails, KCP retransmits, and the round trips the
// bots measured include the added latency.
func TestDirectThroughBadNetwork(t *testing.T) {
	srv, secret := testRoomServer(t, map[string]int{"raid": 30})
	sc := Scenario{Name: "bad-net", Kind: KindDirect, Stages: []Stage{{Duration: Duration(4 * time.Second), Bots: 4}},
		Modes:     []ModeShare{{Mode: "raid", RoomSize: 4}},
		Network:   Network{Latency: Duration(30 * time.Millisecond), Loss: 0.05, Seed: 3},
		TickRates: map[string]int{"raid": 30}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := Run(ctx, Config{Spec: &sc, Target: srv.PublicControlURL(), FleetSecret: secret, InProcess: true})
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	rep.WriteText(&text)
	t.Logf("\n%s", text.String())
	sw := rep.Swarm
	if rep.Failed != 0 || sw.Latency["join"].Count != 4 || sw.TickRateMismatches != 0 {
		t.Fatalf("failed %d (%v), joins %d, rate mismatches %d", rep.Failed, rep.Errors, sw.Latency["join"].Count, sw.TickRateMismatches)
	}
	// Every input is acked but those still in flight when the run ended.
	if acked := sw.Latency["input_ack"].Count; acked < int(sw.Inputs)*7/10 {
		t.Errorf("%d of %d inputs acked", acked, sw.Inputs)
	}
	for _, k := range sw.ByKey {
		if rtt := k.Latency["rtt"]; rtt.Count == 0 || rtt.P50 < 60*time.Millisecond {
			t.Errorf("%s/%s: rtt %v through a proxy adding 2 x 30 ms", k.Mode, k.Transport, rtt)
		}
		if k.Latency["input_ack"].Count == 0 {
			t.Errorf("%s/%s: no input acked", k.Mode, k.Transport)
		}
	}
}

// TestAbortOnFail stops a 60 s run at the first progress tick after a
// threshold that can only get worse failed.
func TestAbortOnFail(t *testing.T) {
	srv, secret := testRoomServer(t, nil)
	sc := Scenario{Name: "abort", Kind: KindDirect, Stages: []Stage{{Duration: Duration(time.Minute), Bots: 2}},
		Modes: []ModeShare{{Mode: "raid", RoomSize: 2}}, Thresholds: []string{"join.count<1"}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := Run(ctx, Config{Spec: &sc, Target: srv.PublicControlURL(), FleetSecret: secret, AbortOnFail: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Passed || rep.Aborted == "" || rep.Duration > 30*time.Second {
		t.Fatalf("passed %v, aborted %q after %v", rep.Passed, rep.Aborted, rep.Duration)
	}
}

// TestDropAndResume cuts every bot's connection about once a second; the
// clients resume (on the other transport) and play on, with no error.
func TestDropAndResume(t *testing.T) {
	srv, secret := testRoomServer(t, nil)
	sc := Scenario{Name: "drops", Kind: KindDirect, Stages: []Stage{{Duration: Duration(5 * time.Second), Bots: 4}},
		Modes:     []ModeShare{{Mode: "raid", RoomSize: 4}},
		Behaviour: Behaviour{Pattern: PatternWander, DropEvery: Duration(time.Second), ResumeSwitch: true}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := Run(ctx, Config{Spec: &sc, Target: srv.PublicControlURL(), FleetSecret: secret, NoDefaultThresholds: true})
	if err != nil {
		t.Fatal(err)
	}
	sw := rep.Swarm
	if rep.Failed != 0 || sw.Resumes < 4 || sw.Disconnects["run_end"] != 4 || len(sw.Disconnects) != 1 {
		t.Fatalf("failed %d (%v), %d resumes, disconnects %v", rep.Failed, rep.Errors, sw.Resumes, sw.Disconnects)
	}
	if sw.Latency["input_ack"].Count == 0 {
		t.Error("no input acked")
	}
}

// TestRetryRefused: a login the lobby refuses with 503 and Retry-After is
// tried again after the wait it asked for, each refusal counted; one it
// refuses for good (401) is not retried.
func TestRetryRefused(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/auth/guest" && calls.Add(1) <= 2 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"code":"unavailable","message":"retry later"}`))
			return
		}
		if r.URL.Path == "/v1/auth/guest" {
			w.Write([]byte(`{"access_token":"a","refresh_token":"r","player_id":"p"}`))
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"code":"unauthorized","message":"no"}`))
	}))
	defer srv.Close()
	col := newCollector(time.Now())
	s := &swarm{col: col}
	u := &unit{retire: make(chan struct{}), done: make(chan struct{})}
	lc := &lobbyClient{base: srv.URL, http: srv.Client()}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.retryRefused(ctx, u, "login", func() error { return lc.guest(ctx, "d") }); err != nil {
		t.Fatalf("login after two refusals: %v", err)
	}
	if calls.Load() != 3 || time.Since(start) < 2*time.Second {
		t.Errorf("%d calls in %v, want 3 a Retry-After (1 s) apart", calls.Load(), time.Since(start))
	}
	if err := s.retryRefused(ctx, u, "roster", func() error { return lc.saveOracle(ctx, "main", contract.Oracle{}) }); err == nil {
		t.Fatal("a 401 passed")
	}
	errs, _, _ := col.errorCounts()
	if errs["login: unavailable"] != 2 || errs["roster: unauthorized"] != 1 || len(errs) != 2 {
		t.Errorf("errors %v", errs)
	}
}
