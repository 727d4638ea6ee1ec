package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/content"
)

const testFleetSecret = "fleet-secret-0123456789-0123456789"

func testConfig() Config {
	return Config{
		ServerID:     "room-test",
		KCPAddr:      "127.0.0.1:0",
		WSAddr:       "127.0.0.1:0",
		AdminAddr:    "127.0.0.1:0",
		TicketKey:    bytes.Repeat([]byte("t"), 32),
		FleetSecret:  testFleetSecret,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		Shards:       2,
		DrainTimeout: 200 * time.Millisecond,
		FlushTimeout: 5 * time.Second,
	}
}

func battleSpec(match string) contract.RoomSpec {
	s := contract.RoomSpec{MatchID: match, Mode: ModeBattle1v1, Seed: 42}
	for i := 0; i < 2; i++ {
		s.Seats = append(s.Seats, contract.SeatSpec{Seat: i, PlayerID: fmt.Sprintf("p_%d", i), Team: i,
			Oracle: ecs.OracleSpec{Archetype: "aries", Role: "host"}})
	}
	return s
}

func controlDo(t *testing.T, h http.Handler, method, path, secret string, body any) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s: body %q is not JSON: %v", method, path, rec.Body.String(), err)
		}
	}
	return rec, out
}

func TestControlAPI(t *testing.T) {
	cfg := testConfig()
	cfg.MaxRooms = 2
	cfg.KCPKey = bytes.Repeat([]byte("a"), 16)
	s, err := newServer(cfg, scriptFactory(30, 0), "v-test", testModes, NewMemorySink())
	if err != nil {
		t.Fatal(err)
	}
	h := s.AdminHandler()

	rec, body := controlDo(t, h, "GET", "/v1/rooms", "", nil)
	if rec.Code != 401 || body["code"] != "unauthorized" {
		t.Fatalf("no secret: %d %v", rec.Code, body)
	}
	rec, body = controlDo(t, h, "GET", "/v1/rooms", "wrong-secret-0123456789", nil)
	if rec.Code != 401 || body["code"] != "unauthorized" {
		t.Fatalf("wrong secret: %d %v", rec.Code, body)
	}

	rec, body = controlDo(t, h, "POST", "/v1/rooms", testFleetSecret, battleSpec("m_1"))
	if rec.Code != 201 {
		t.Fatalf("create: %d %v", rec.Code, body)
	}
	roomID := body["room_id"].(string)
	seats := body["seats"].([]any)
	if len(seats) != 2 || body["match_id"] != "m_1" || body["kcp_key"] == "" {
		t.Fatalf("create body %v", body)
	}
	ticket := seats[1].(map[string]any)["ticket"].(string)
	claims, err := s.tickets.Check(ticket, KindJoin, time.Now())
	if err != nil || claims.Room != roomID || claims.Seat != 1 || claims.Player() != "p_1" {
		t.Fatalf("ticket claims %+v err %v", claims, err)
	}

	// Idempotent by match id: same room, fresh tickets, 200.
	rec, body = controlDo(t, h, "POST", "/v1/rooms", testFleetSecret, battleSpec("m_1"))
	if rec.Code != 200 || body["room_id"] != roomID {
		t.Fatalf("repeat create: %d %v", rec.Code, body)
	}
	if again := body["seats"].([]any)[1].(map[string]any)["ticket"]; again == ticket {
		t.Fatal("repeat create returned the same ticket")
	}
	// Same match id, different spec: 409.
	other := battleSpec("m_1")
	other.Seed = 7
	if rec, body = controlDo(t, h, "POST", "/v1/rooms", testFleetSecret, other); rec.Code != 409 || body["code"] != "match_exists" {
		t.Fatalf("conflicting create: %d %v", rec.Code, body)
	}

	bad := []struct {
		name string
		body any
		code string
	}{
		{"not json", "{", "bad_request"},
		{"unknown mode", contract.RoomSpec{MatchID: "m_x", Mode: "chess", Seats: battleSpec("").Seats}, "bad_request"},
		{"no seats", contract.RoomSpec{MatchID: "m_x", Mode: ModeRaid}, "bad_request"},
		{"duplicate seat", contract.RoomSpec{MatchID: "m_x", Mode: ModeRaid, Seats: []contract.SeatSpec{{Seat: 0, PlayerID: "a"}, {Seat: 0, PlayerID: "b"}}}, "bad_request"},
		{"engine refuses", contract.RoomSpec{MatchID: "m_x", Mode: ModeRaid, Arena: "bad", Seats: []contract.SeatSpec{{Seat: 0, PlayerID: "a"}}}, "bad_request"},
		{"content version", contract.RoomSpec{MatchID: "m_x", Mode: ModeRaid, ContentVersion: "v-other", Seats: []contract.SeatSpec{{Seat: 0, PlayerID: "a"}}}, "content_version_mismatch"},
	}
	for _, b := range bad {
		if rec, body = controlDo(t, h, "POST", "/v1/rooms", testFleetSecret, b.body); rec.Code != 400 || body["code"] != b.code {
			t.Fatalf("%s: %d %v, want 400 %s", b.name, rec.Code, body, b.code)
		}
	}

	if rec, _ = controlDo(t, h, "POST", "/v1/rooms", testFleetSecret, battleSpec("m_2")); rec.Code != 201 {
		t.Fatalf("second room: %d", rec.Code)
	}
	rec, body = controlDo(t, h, "POST", "/v1/rooms", testFleetSecret, battleSpec("m_3"))
	if rec.Code != 503 || body["code"] != "server_full" || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("over max rooms: %d %v", rec.Code, body)
	}

	rec, body = controlDo(t, h, "GET", "/v1/rooms", testFleetSecret, nil)
	rooms := body["rooms"].([]any)
	if rec.Code != 200 || len(rooms) != 2 {
		t.Fatalf("list: %d %v", rec.Code, body)
	}
	first := rooms[0].(map[string]any)
	if first["state"] != StateWaiting.String() || first["mode"] != ModeBattle1v1 || first["players"] != 0.0 {
		t.Fatalf("list entry %v", first)
	}

	if rec, body = controlDo(t, h, "DELETE", "/v1/rooms/r_nope", testFleetSecret, nil); rec.Code != 404 || body["code"] != "room_not_found" {
		t.Fatalf("close unknown: %d %v", rec.Code, body)
	}
	if rec, _ = controlDo(t, h, "DELETE", "/v1/rooms/"+roomID, testFleetSecret, nil); rec.Code != 204 {
		t.Fatalf("close: %d", rec.Code)
	}
	r, _ := s.reg.get(roomID)
	if a := r.abort.Load(); a == nil {
		t.Fatal("close did not ask the room to abort")
	}

	s.reg.setDraining()
	rec, body = controlDo(t, h, "POST", "/v1/rooms", testFleetSecret, battleSpec("m_4"))
	if rec.Code != 503 || body["code"] != "draining" || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("draining create: %d %v", rec.Code, body)
	}
	if hb := s.Heartbeat(); !hb.Draining || hb.Rooms != 2 || hb.MaxRooms != 2 || hb.ContentVersion != "v-test" {
		t.Fatalf("heartbeat %+v", hb)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := testConfig().WithDefaults().Validate(); err != nil {
		t.Fatalf("test config: %v", err)
	}
	c := testConfig()
	c.TicketKey = nil
	c.FleetSecret = "short"
	c.KCPKey = []byte("x")
	c.TickRates = map[string]int{"chess": 30, ModeRaid: 500}
	err := c.WithDefaults().Validate()
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"ticket key", "fleet secret", "kcp key", "raid"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	// Mode names are the content's: the server refuses overrides for others.
	for _, c := range []Config{
		{TickRates: map[string]int{"chess": 30}},
		{Grace: map[string]time.Duration{"chess": time.Second}},
	} {
		c.TicketKey, c.FleetSecret = testConfig().TicketKey, testConfig().FleetSecret
		if _, err := newServer(c, scriptFactory(30, 0), "v-test", testModes, NewMemorySink()); err == nil || !strings.Contains(err.Error(), `unknown mode "chess"`) {
			t.Errorf("override for an unknown mode: %v", err)
		}
	}
	bundle, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range bundle.Modes() {
		c := testConfig()
		c.TickRates = map[string]int{m.ID: 30}
		if _, err := New(c, bundle, NewMemorySink()); err != nil {
			t.Errorf("content mode %s refused: %v", m.ID, err)
		}
	}
}

// TestControlDrainEndpoint: POST /v1/drain needs the fleet secret; it
// answers 202 with the rooms still hosted, after which creates are refused
// with 503 draining, the heartbeat and /readyz say draining, the hosted
// room is still listed, and a second drain is harmless.
func TestControlDrainEndpoint(t *testing.T) {
	s, err := newServer(testConfig(), scriptFactory(30, 0), "v-test", testModes, NewMemorySink())
	if err != nil {
		t.Fatal(err)
	}
	h := s.AdminHandler()
	if rec, body := controlDo(t, h, "POST", "/v1/drain", "", nil); rec.Code != 401 || body["code"] != "unauthorized" || s.Draining() {
		t.Fatalf("drain without the secret: got %d %v (draining %v), want 401 unauthorized and no drain", rec.Code, body, s.Draining())
	}
	if rec, body := controlDo(t, h, "POST", "/v1/rooms", testFleetSecret, battleSpec("m_1")); rec.Code != 201 {
		t.Fatalf("create: got %d %v, want 201", rec.Code, body)
	}
	rec, body := controlDo(t, h, "POST", "/v1/drain", testFleetSecret, nil)
	if rec.Code != 202 || body["draining"] != true || body["rooms"] != float64(1) {
		t.Fatalf("drain: got %d %v, want 202 draining with 1 room", rec.Code, body)
	}
	if !s.Draining() || !s.Heartbeat().Draining {
		t.Fatalf("after the drain: Draining %v, heartbeat draining %v; want both true", s.Draining(), s.Heartbeat().Draining)
	}
	if rec, body := controlDo(t, h, "POST", "/v1/rooms", testFleetSecret, battleSpec("m_2")); rec.Code != 503 || body["code"] != contract.CodeDraining {
		t.Fatalf("create while draining: got %d %v, want 503 draining", rec.Code, body)
	}
	if rec, body := controlDo(t, h, "GET", "/readyz", "", nil); rec.Code != 503 {
		t.Fatalf("/readyz while draining: got %d %v, want 503", rec.Code, body)
	}
	if rec, body := controlDo(t, h, "GET", "/v1/rooms", testFleetSecret, nil); rec.Code != 200 || len(body["rooms"].([]any)) != 1 {
		t.Fatalf("rooms while draining: got %d %v, want the one room still hosted", rec.Code, body)
	}
	if rec, _ := controlDo(t, h, "POST", "/v1/drain", testFleetSecret, nil); rec.Code != 202 {
		t.Fatalf("second drain: got %d, want 202", rec.Code)
	}
}
