package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/internal/devbots"
)

// pageCall sends one request to the dev system's lobby port and decodes
// the JSON answer into out (when not nil).
func pageCall(t *testing.T, d *devSystem, method, path, token string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, d.lobbyURL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

// TestDevPage: `pantheon dev` serves the page at / on the lobby port
// beside the API, and its /dev/ endpoints answer the page's player: the
// rating in a mode, bot runs (validated, bounded), and stored matches only
// to their participants (404 while not stored, with a bounded wait).
func TestDevPage(t *testing.T) {
	d := startTestDev(t, nil)
	resp, err := http.Get(d.lobbyURL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "app.js") {
		t.Fatalf("GET /: %d %.100s", resp.StatusCode, page)
	}
	var e struct{ Code, Message string }
	if code := pageCall(t, d, "GET", "/v1/nope", "", nil, &e); code != 404 || e.Code != "not_found" {
		t.Fatalf("GET /v1/nope: %d %+v", code, e)
	}
	if code := pageCall(t, d, "GET", "/dev/rating?mode=ritual", "", nil, &e); code != 401 {
		t.Fatalf("GET /dev/rating without a token: %d %+v", code, e)
	}

	var tok struct {
		PlayerID    string `json:"player_id"`
		AccessToken string `json:"access_token"`
	}
	if code := pageCall(t, d, "POST", "/v1/auth/guest", "", map[string]string{"device_id": "dev-page-test-device"}, &tok); code != 200 {
		t.Fatalf("guest login: %d", code)
	}
	var r devbots.Rating
	if code := pageCall(t, d, "GET", "/dev/rating?mode=ritual", tok.AccessToken, nil, &r); code != 200 || r.Mode != "ritual" || r.Mu != 25 || r.Matches != 0 {
		t.Fatalf("GET /dev/rating: %d %+v", code, r)
	}
	if code := pageCall(t, d, "GET", "/dev/rating?mode=chess", tok.AccessToken, nil, &e); code != 400 {
		t.Fatalf("GET /dev/rating of an unknown mode: %d %+v", code, e)
	}
	for _, body := range []any{map[string]any{"mode": "chess", "bots": 1}, map[string]any{"mode": "ritual", "bots": 0},
		map[string]any{"mode": "ritual", "bots": 40}, map[string]any{"mode": "ritual", "bots": 1, "extra": true}} {
		if code := pageCall(t, d, "POST", "/dev/bots", tok.AccessToken, body, &e); code != 400 {
			t.Errorf("POST /dev/bots %v: %d %+v, want 400", body, code, e)
		}
	}

	start := time.Now()
	if code := pageCall(t, d, "GET", "/dev/matches/m_none?wait_ms=300", tok.AccessToken, nil, &e); code != 404 || time.Since(start) < 300*time.Millisecond {
		t.Fatalf("GET /dev/matches of no match: %d after %v %+v", code, time.Since(start), e)
	}
	if code := pageCall(t, d, "GET", "/dev/matches/m_none?wait_ms=99999", tok.AccessToken, nil, &e); code != 400 {
		t.Fatalf("GET /dev/matches with a wait past the bound: %d %+v", code, e)
	}

	// Two bots requested by the page play a duel between themselves: it is
	// stored, and not shown to a player who was not in it.
	var acc struct{ Bots int }
	if code := pageCall(t, d, "POST", "/dev/bots", tok.AccessToken, map[string]any{"mode": "battle_1v1", "bots": 2}, &acc); code != 202 || acc.Bots != 2 {
		t.Fatalf("POST /dev/bots: %d %+v", code, acc)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	id := waitBotMatch(ctx, t, d)
	if code := pageCall(t, d, "GET", "/dev/matches/"+id+"?wait_ms=10000", tok.AccessToken, nil, &e); code != 404 {
		t.Fatalf("GET /dev/matches of another player's match: %d %+v", code, e)
	}
}

// waitBotMatch waits for the page's bot run to finish a match and returns
// its id once the database holds it.
func waitBotMatch(ctx context.Context, t *testing.T, d *devSystem) string {
	t.Helper()
	for {
		if ids := d.page.Played(); len(ids) > 0 {
			if _, err := d.waitStored(ctx, ids[0]); err != nil {
				t.Fatal(err)
			}
			return ids[0]
		}
		select {
		case <-ctx.Done():
			t.Fatal("the page's bots never finished a match")
		case <-time.After(200 * time.Millisecond):
		}
	}
}
