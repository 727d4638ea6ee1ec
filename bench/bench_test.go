package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/server"
)

func TestParseMetric(t *testing.T) {
	page := `# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 2.2708224e+07
pantheon_room_connections{transport="kcp"} 12
pantheon_room_connections{transport="ws"} 3
`
	v, err := parseMetric(strings.NewReader(page), "process_resident_memory_bytes")
	if err != nil || v != 22708224 {
		t.Fatalf("got %v %v", v, err)
	}
	v, err = parseMetric(strings.NewReader(page), `pantheon_room_connections{transport="ws"}`)
	if err != nil || v != 3 {
		t.Fatalf("labelled: got %v %v", v, err)
	}
	if _, err := parseMetric(strings.NewReader(page), "process_resident"); err == nil {
		t.Fatal("a name prefix matched")
	}
}

func TestConfigRefusesNonLoopbackTargets(t *testing.T) {
	for _, target := range []string{"http://10.0.0.1:7002", "http://example.com:7002", "http://192.168.1.2"} {
		if err := (Config{Target: target, FleetSecret: "x"}).Validate(); err == nil {
			t.Errorf("%s accepted", target)
		}
	}
	for _, target := range []string{"http://127.0.0.1:7002", "http://localhost:1", "http://[::1]:7002"} {
		if err := (Config{Target: target, FleetSecret: "x"}).Validate(); err != nil {
			t.Errorf("%s refused: %v", target, err)
		}
	}
	if err := (Config{FleetSecret: "x", Clients: 6000}).Validate(); err == nil {
		t.Error("6000 clients accepted")
	}
}

// TestIdleScenario runs the idle scenario with a few clients against an
// in-process room server on 127.0.0.1 and checks the report.
func TestIdleScenario(t *testing.T) {
	bundle, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	const secret = "bench-test-fleet-secret-0123456789"
	srv, err := server.New(server.Config{
		KCPAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0",
		TicketKey: bytes.Repeat([]byte("k"), 32), FleetSecret: secret,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), DrainTimeout: time.Second,
	}, bundle, server.NewMemorySink())
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()

	rep, err := Run(context.Background(), Config{Target: srv.PublicControlURL(), FleetSecret: secret,
		Clients: 12, RoomSize: 5, Settle: 100 * time.Millisecond, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	idle := rep.Idle
	if idle == nil || idle.Connected != 12 || idle.KCP != 6 || idle.WS != 6 || rep.Failed != 0 || idle.Rooms != 3 || idle.ServerConn != 12 {
		t.Fatalf("report %+v %+v", rep, idle)
	}
	if idle.RSSBefore <= 0 || idle.RSSAfter <= 0 {
		t.Fatalf("rss %v -> %v", idle.RSSBefore, idle.RSSAfter)
	}
	var text, js bytes.Buffer
	if err := rep.WriteText(&text); err != nil || !strings.Contains(text.String(), "RSS per connection") {
		t.Fatalf("text report %q %v", text.String(), err)
	}
	var back Report
	if err := rep.WriteJSON(&js); err != nil || json.Unmarshal(js.Bytes(), &back) != nil || back.Idle == nil || back.Idle.Connected != 12 {
		t.Fatalf("json report %s %v", js.String(), err)
	}
}
