package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// consoleSummary is the JSON summary web/test/console.mjs prints last.
type consoleSummary struct {
	OK          bool     `json:"ok"`
	Servers     int      `json:"servers"`
	Rooms       int      `json:"rooms"`
	Draining    string   `json:"draining"`
	Player      string   `json:"player"`
	Confirms    int      `json:"confirms"`
	Screenshots []string `json:"screenshots"`
	Errors      []string `json:"errors"`
}

// TestBrowserConsole: Debian's chromium, driven by playwright-core, opens
// the operator console on a running `pantheon dev`'s lobby admin address,
// enters the fleet secret, sees the room server and the room of a match
// two players were placed in, looks one of them up, drains the server
// (confirming) and sees it marked draining, with no console error; the
// room server is then draining. Screenshots are kept (path in the log).
func TestBrowserConsole(t *testing.T) {
	needBrowser(t) // skip before starting a system when the browser is missing
	d := startConsoleDev(t)
	ps, tickets := matchedPair(t, d, "browser")
	ps[0].waitSeat(t, tickets[0])
	out := artifactsDir(t, "console")
	t.Logf("screenshots in %s", out)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run := runBrowserScript(t, ctx, "console.mjs", "--url", "http://"+d.lobbyAdmin, "--secret", d.fleetSecret,
		"--player", ps[0].id, "--out", out, "--timeout-ms", "60000")
	var sum consoleSummary
	if err := json.Unmarshal([]byte(run.last), &sum); err != nil {
		t.Fatalf("browser script: %v; no summary (%v)\nstdout:\n%s\nstderr:\n%s", run.err, err, run.stdout, run.stderr)
	}
	if run.err != nil || !sum.OK {
		t.Fatalf("browser script failed (%v): %+v\nstderr:\n%s", run.err, sum, run.stderr)
	}
	if sum.Servers != 1 || sum.Rooms < 1 || sum.Draining != "draining" || !strings.HasPrefix(sum.Player, ps[0].id) {
		t.Errorf("the page showed %d servers, %d rooms, state %q after the drain, player %q; want 1 server, a room, draining, %s",
			sum.Servers, sum.Rooms, sum.Draining, sum.Player, ps[0].id)
	}
	if !d.room.Draining() {
		t.Error("the page's drain did not drain the room server")
	}
}
