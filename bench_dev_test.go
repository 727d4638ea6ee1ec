package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/bench"
)

// startBenchDev starts `pantheon dev` in-process on 127.0.0.1:0 for the
// bench tests.
func startBenchDev(t *testing.T, ctx context.Context) *devSystem {
	t.Helper()
	d, err := startDev(ctx, devConfig{
		LobbyAddr: "127.0.0.1:0", LobbyAdmin: "127.0.0.1:0", KCPAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0",
		DB: "sqlite:" + filepath.Join(t.TempDir(), "pantheon.db"), OutboxDir: t.TempDir(),
		TickRates: map[string]int{"raid": 30},
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
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
	var progress bytes.Buffer
	rep, err := bench.Run(ctx, bench.Config{Spec: &sc, Lobby: d.lobbyURL, FleetSecret: d.fleetSecret, LobbyAdmin: "http://" + d.lobbyAdmin,
		Progress: &progress, InProcess: true})
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	t.Logf("progress:\n%s\nreport:\n%s", progress.String(), text.String())
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
	if lines := strings.Count(progress.String(), "\n"); lines < 3 { // one at least every 2 s
		t.Errorf("%d progress lines in a 6 s run, want one at least every 2 s", lines)
	}
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
