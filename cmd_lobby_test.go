package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/internal/testlog"
)

// TestLobbyJSONLogsRedisDown runs `pantheon lobby --log-format json` on a
// Redis address where nothing listens: every stderr line is a JSON record;
// the outage is one "dependency down" warning for the state store, while
// go-redis's own lines (failed dials) come through slog at debug level,
// tagged component=go-redis, never raw on stderr.
func TestLobbyJSONLogsRedisDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadPort := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close() // nothing listens there now
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &testlog.Buffer{}
	done := make(chan int, 1)
	go func() {
		done <- runLobby(ctx, []string{
			"--addr", "127.0.0.1:0", "--admin-addr", "", "--log-format", "json", "--log-level", "debug",
			"--jwt-key", strings.Repeat("k", 32), "--fleet-secret", "fleet-secret-0123456789-0123456789-abcdef",
			"--db", "sqlite:" + filepath.Join(t.TempDir(), "lobby.db"),
			"--redis", "redis://127.0.0.1:" + strconv.Itoa(deadPort) + "/0", "--health-interval", "50ms",
		}, io.Discard, stderr)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !(strings.Contains(stderr.String(), `"msg":"dependency down"`) && strings.Contains(stderr.String(), `"component":"go-redis"`)) {
		if time.Now().After(deadline) {
			t.Fatalf("no dependency down and go-redis lines within 30 s; stderr:\n%s", stderr.String())
		}
		select {
		case code := <-done:
			t.Fatalf("pantheon lobby exited with %d before logging the outage; stderr:\n%s", code, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("pantheon lobby exited %d; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("pantheon lobby did not stop after cancel")
	}
	downs, redisLines := 0, 0
	sc := bufio.NewScanner(strings.NewReader(stderr.String()))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("stderr line is not JSON: %q", sc.Text())
		}
		switch {
		case rec["msg"] == "dependency down":
			downs++
			// Whichever first finds Redis gone reports it (the health
			// ping, or the feature-flag reload at start-up), with
			// "connection refused" or, on a loaded machine, its deadline:
			// either names redis.
			if rec["dependency"] != "state_store" || rec["level"] != "WARN" || !strings.Contains(rec["err"].(string), "redis") {
				t.Errorf("down line %v", rec)
			}
		case rec["component"] == "go-redis":
			redisLines++
			if rec["level"] != "DEBUG" {
				t.Errorf("go-redis line not at debug: %v", rec)
			}
		}
	}
	if downs != 1 || redisLines == 0 {
		t.Fatalf("%d down lines and %d go-redis lines, want 1 and some; stderr:\n%s", downs, redisLines, stderr.String())
	}
}

// TestLobbySteamFlags: a half-configured Steam provider is a start-up error
// naming the flags; a full one builds.
func TestLobbySteamFlags(t *testing.T) {
	o := defaultLobbyOptions()
	o.JWTKey, o.Lobby.FleetSecret = strings.Repeat("k", 32), strings.Repeat("f", 32)
	o.Steam.AppID = "480"
	if _, err := o.build(); err == nil || !strings.Contains(err.Error(), "--steam-web-api-key") {
		t.Fatalf("steam app id without a key: %v", err)
	}
	o.Steam.Key = "key"
	if _, err := o.build(); err != nil {
		t.Fatalf("full steam config: %v", err)
	}
}

// TestLobbyOIDCFlags: --google-client-id and --apple-client-id (with the
// env vars) turn on their providers with the default issuers, which need
// no network at start-up; a bad issuer is a start-up error naming the flag.
func TestLobbyOIDCFlags(t *testing.T) {
	t.Setenv("PANTHEON_APPLE_CLIENT_ID", "com.example.game")
	o := defaultLobbyOptions()
	fs := flag.NewFlagSet("lobby", flag.ContinueOnError)
	if err := lobbyFlags(fs, &o); err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse([]string{"--google-client-id", "web.apps, android.apps"}); err != nil {
		t.Fatal(err)
	}
	o.JWTKey, o.Lobby.FleetSecret = strings.Repeat("k", 32), strings.Repeat("f", 32)
	if _, err := o.build(); err != nil {
		t.Fatalf("google and apple config: %v", err)
	}
	ps, err := o.oidcProviders()
	if err != nil || len(ps) != 2 || ps[0].Name() != "google" || ps[1].Name() != "apple" {
		t.Fatalf("providers %v, %v; want google and apple", ps, err)
	}
	if o.GoogleIssuer != "https://accounts.google.com" || o.AppleIssuer != "https://appleid.apple.com" {
		t.Errorf("default issuers %q, %q", o.GoogleIssuer, o.AppleIssuer)
	}
	o.GoogleIssuer = "accounts.google.com"
	if _, err := o.build(); err == nil || !strings.Contains(err.Error(), "--google-client-id") {
		t.Fatalf("bad google issuer: %v", err)
	}
	o.GoogleClientIDs, o.AppleClientIDs = "", ""
	if ps, err := o.oidcProviders(); err != nil || len(ps) != 0 {
		t.Fatalf("no client ids: %v, %v; want no provider", ps, err)
	}
}

// TestLobbyDiscordFlags: a half-configured Discord provider is a start-up
// error naming the flags; a full one (secret from @FILE) builds.
func TestLobbyDiscordFlags(t *testing.T) {
	o := defaultLobbyOptions()
	o.JWTKey, o.Lobby.FleetSecret = strings.Repeat("k", 32), strings.Repeat("f", 32)
	o.Discord.ClientID = "app"
	if _, err := o.build(); err == nil || !strings.Contains(err.Error(), "--discord-client-secret") {
		t.Fatalf("discord client id alone: %v", err)
	}
	secret := filepath.Join(t.TempDir(), "discord")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o.Discord.ClientSecret, o.Discord.RedirectURL = "@"+secret, "https://game.example/cb"
	if _, err := o.build(); err != nil {
		t.Fatalf("full discord config: %v", err)
	}
	if o.Discord.ClientSecret != "s3cret" {
		t.Errorf("secret resolved to %q, want the file's", o.Discord.ClientSecret)
	}
}
