package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// testDevOptions are `pantheon dev`'s defaults on free ports (the lobby's
// admin listener off), the database at dbURL ("": the embedded one in a
// temporary directory), the outbox in a temporary directory, logs
// discarded.
func testDevOptions(t *testing.T, dbURL string) devOptions {
	t.Helper()
	o := defaultDevOptions()
	o.Lobby.Addr, o.Lobby.AdminAddr = "127.0.0.1:0", ""
	o.Room.Server.KCPAddr, o.Room.Server.WSAddr, o.Room.Server.AdminAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	if dbURL == "" {
		dbURL = "sqlite:" + filepath.Join(t.TempDir(), "pantheon.db")
	}
	o.DB, o.Room.OutboxDir = dbURL, t.TempDir()
	o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	return o
}

// startTestDev starts `pantheon dev` on free ports with the embedded
// database in a temporary directory, and stops it when the test ends.
func startTestDev(t *testing.T, mod func(*devOptions)) *devSystem {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	o := testDevOptions(t, "")
	if mod != nil {
		mod(&o)
	}
	d, err := startDev(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	if err := d.waitReady(ctx); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDevBrowserAccess: `pantheon dev` lets a browser page on localhost
// (any port) and its own page reach the lobby (a CORS preflight succeeds)
// and the room server's WebSocket; other origins get a 403 whose JSON body
// names the origin and the flag to allow it.
func TestDevBrowserAccess(t *testing.T) {
	d := startTestDev(t, nil)
	req, _ := http.NewRequest("OPTIONS", d.lobbyURL+"/v1/auth/guest", nil)
	req.Header.Set("Origin", "http://localhost:5173")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	req.Header.Set("Origin", "https://evil.example")
	code, body := refusal(t, req)
	if code != 403 || !strings.Contains(body, "https://evil.example") || !strings.Contains(body, "--cors-origins") {
		t.Fatalf("lobby refusal: %d %s", code, body)
	}

	ws := d.room.PublicWSURL()
	for _, o := range []string{d.lobbyURL, "http://localhost:5173"} {
		c, _, err := websocket.DefaultDialer.Dial(ws, http.Header{"Origin": {o}})
		if err != nil {
			t.Fatalf("room WebSocket from %s: %v", o, err)
		}
		c.Close()
	}
	req, _ = http.NewRequest("GET", "http"+strings.TrimPrefix(ws, "ws"), nil)
	for k, v := range map[string]string{"Origin": "https://evil.example", "Connection": "Upgrade", "Upgrade": "websocket",
		"Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="} {
		req.Header.Set(k, v)
	}
	code, body = refusal(t, req)
	if code != 403 || !strings.Contains(body, "https://evil.example") || !strings.Contains(body, "--ws-origins") {
		t.Fatalf("room refusal: %d %s", code, body)
	}
}

// refusal sends req and returns its status and JSON error message, after
// checking the body is an {"code":"origin_not_allowed"} error.
func refusal(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct{ Code, Message string }
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || e.Code != "origin_not_allowed" {
		t.Fatalf("refusal body: %+v, %v", e, err)
	}
	return resp.StatusCode, e.Message
}
