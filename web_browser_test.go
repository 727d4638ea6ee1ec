package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/internal/testsvc"
)

// browserSummary is the last line web/test/browser.mjs prints.
type browserSummary struct {
	OK          bool     `json:"ok"`
	PlayerID    string   `json:"player_id"`
	MatchID     string   `json:"match_id"`
	Outcome     string   `json:"outcome"`
	InputAck    int      `json:"input_ack"`
	InputsSent  int      `json:"inputs_sent"`
	Screenshots []string `json:"screenshots"`
	Errors      []string `json:"errors"`
	Shown       struct {
		Title   string  `json:"title"`
		Rewards int     `json:"rewards"`
		Mu      float64 `json:"mu"`
	} `json:"shown"`
}

// needBrowser returns node and chromium for the browser tests, or skips
// (fails when PANTHEON_REQUIRE_SERVICES=1) saying how to install them.
func needBrowser(t *testing.T) (node, chromium string) {
	t.Helper()
	chromium = os.Getenv("PANTHEON_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	var missing []string
	node, err := exec.LookPath("node")
	if err != nil {
		missing = append(missing, "node (Node 20 or later)")
	}
	if _, err := os.Stat(chromium); err != nil {
		missing = append(missing, chromium+" (apt-get install -y chromium, or set PANTHEON_CHROMIUM)")
	}
	if _, err := os.Stat(filepath.Join("web", "node_modules", "playwright-core", "package.json")); err != nil {
		missing = append(missing, "web/node_modules (npm ci in web/; playwright-core downloads no browser)")
	}
	if len(missing) > 0 {
		msg := "the browser test needs " + strings.Join(missing, ", ") + "; .ci/run installs them"
		if testsvc.Required() {
			t.Fatal(msg + " (PANTHEON_REQUIRE_SERVICES=1 forbids skipping)")
		}
		t.Skip(msg)
	}
	return node, chromium
}

// artifactsDir is where a test's screenshots go: $PANTHEON_TEST_ARTIFACTS
// when set, else a fresh directory under the system's temporary directory
// that outlives the test (its path is logged).
func artifactsDir(t *testing.T, name string) string {
	t.Helper()
	if base := os.Getenv("PANTHEON_TEST_ARTIFACTS"); base != "" {
		dir := filepath.Join(base, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	dir, err := os.MkdirTemp("", "pantheon-"+name+"-")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestBrowserPlaysRitual: Debian's chromium, driven by playwright-core,
// opens the page `pantheon dev` serves, logs in as a guest, queues a
// ritual with bots, plays it (walking to the sigils, channelling and
// making gestures with the keyboard) to the result screen, with no console
// error on the way; the match it shows is the one stored in the database,
// with the page's player in it, the outcome and rewards the page showed.
// Screenshots of the lobby, the match and the result are kept (path in
// the log).
func TestBrowserPlaysRitual(t *testing.T) {
	node, chromium := needBrowser(t)
	d := startTestDev(t, nil)
	out := artifactsDir(t, "browser")
	t.Logf("screenshots in %s", out)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("test", "browser.mjs"), "--url", d.lobbyURL, "--out", out, "--mode", "ritual", "--timeout-ms", "240000")
	cmd.Dir = "web"
	cmd.Env = append(os.Environ(), "PANTHEON_CHROMIUM="+chromium, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 10 * time.Second
	runErr := cmd.Run()
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var sum browserSummary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
		t.Fatalf("browser script: %v; no summary (%v)\nstdout:\n%s\nstderr:\n%s", runErr, err, stdout.String(), stderr.String())
	}
	t.Logf("browser script:\n%s", strings.Join(lines[:len(lines)-1], "\n"))
	if runErr != nil || !sum.OK {
		t.Fatalf("browser script failed (%v):\n  %s\nstderr:\n%s", runErr, strings.Join(sum.Errors, "\n  "), stderr.String())
	}
	if sum.InputAck == 0 || sum.InputsSent == 0 {
		t.Errorf("the page's inputs were never acknowledged: %d sent, ack %d", sum.InputsSent, sum.InputAck)
	}

	rec, err := d.waitStored(ctx, sum.MatchID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Mode != "ritual" || rec.Outcome.String() != sum.Outcome || (rec.Outcome != contract.OutcomeSuccess && rec.Outcome != contract.OutcomeFailure) {
		t.Errorf("stored match %s: mode %s outcome %s; the page showed %q (%s)", rec.MatchID, rec.Mode, rec.Outcome, sum.Shown.Title, sum.Outcome)
	}
	var seat *contract.Participant
	for i := range rec.Participants {
		if rec.Participants[i].PlayerID == sum.PlayerID {
			seat = &rec.Participants[i]
		}
	}
	if seat == nil || len(rec.Participants) < 2 {
		t.Fatalf("stored match %s: %d participants, the page's player %s among them: %v", rec.MatchID, len(rec.Participants), sum.PlayerID, seat != nil)
	}
	rewards := map[string]int64{}
	for _, r := range rec.Rewards {
		if r.PlayerID == sum.PlayerID {
			if r.ItemID != "" {
				rewards["item:"+r.ItemID]++
			} else {
				rewards["cur:"+r.Currency] += r.Amount
			}
		}
	}
	if len(rewards) == 0 && rec.Outcome == contract.OutcomeSuccess {
		t.Errorf("a successful ritual stored no reward for the page's player")
	}
	// The page lists one line per currency and per item.
	if sum.Shown.Rewards != len(rewards) && !(sum.Shown.Rewards == 0 && len(rewards) == 0) {
		t.Errorf("the page showed %d reward lines, the database holds %d kinds for the player: %v", sum.Shown.Rewards, len(rewards), rewards)
	}
	ratings, err := d.store.Ratings(ctx, "ritual", []string{sum.PlayerID})
	if err != nil {
		t.Fatal(err)
	}
	if ratings[0].Matches != 1 || fmt.Sprintf("%.2f", ratings[0].Mu) != fmt.Sprintf("%.2f", sum.Shown.Mu) {
		t.Errorf("stored rating %+v; the page showed mu %.2f", ratings[0], sum.Shown.Mu)
	}
	for _, p := range sum.Screenshots {
		if st, err := os.Stat(p); err != nil || st.Size() < 1000 {
			t.Errorf("screenshot %s: %v", p, err)
		}
	}
	t.Logf("played %s: %s (%s), %d seats, rewards %v; screenshots %s", rec.MatchID, rec.Outcome, sum.Shown.Title, len(rec.Participants), rewards, strings.Join(sum.Screenshots, " "))
}
