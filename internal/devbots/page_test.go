package devbots

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/lobby/auth"
)

// tokenLobby authenticates "Bearer player-N" as player-N.
type tokenLobby struct{}

var errNoToken = errors.New("no token")

func (tokenLobby) Authenticate(r *http.Request) (auth.Claims, error) {
	p, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return auth.Claims{}, errNoToken
	}
	return auth.Claims{PlayerID: p}, nil
}

func (tokenLobby) WriteError(w http.ResponseWriter, _ *http.Request, err error) {
	http.Error(w, err.Error(), http.StatusUnauthorized)
}

// TestPageBotRuns: POST /dev/bots validates its body, starts at most
// MaxRuns runs at once (the next is told 429 with Retry-After while they
// play) and refuses runs once the page is closed. The runs' lobby answers
// no request until the test ends, so every run stays in its login.
func TestPageBotRuns(t *testing.T) {
	bundle, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var logins atomic.Int64
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logins.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
		http.Error(w, "stopped", http.StatusServiceUnavailable)
	}))
	p := NewPage(nil, bundle, nil)
	p.Bind(tokenLobby{}, hung.URL)
	closed := false
	t.Cleanup(func() {
		close(release)
		if !closed {
			p.Close()
		}
		hung.Close()
	})
	h := p.Handler()
	post := func(body, token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/dev/bots", strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := post(`{"mode":"ritual","bots":1}`, ""); rec.Code != http.StatusUnauthorized {
		t.Fatalf("without a token: %d %s", rec.Code, rec.Body)
	}
	for _, body := range []string{`{"mode":"chess","bots":1}`, `{"mode":"ritual","bots":0}`,
		`{"mode":"ritual","bots":40}`, `{"mode":"ritual","bots":1,"extra":true}`, `not json`} {
		if rec := post(body, "player-1"); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"code":"bad_request"`) {
			t.Errorf("POST %s: %d %s, want 400 bad_request", body, rec.Code, rec.Body)
		}
	}
	for i := range MaxRuns {
		if rec := post(`{"mode":"battle_1v1","bots":2}`, "player-1"); rec.Code != http.StatusAccepted {
			t.Fatalf("run %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	// Every run is in its login (each one's bots ask the hung lobby).
	for deadline := time.Now().Add(30 * time.Second); logins.Load() < MaxRuns; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests reached the lobby in 30 s, want at least one per run", logins.Load())
		}
	}
	rec := post(`{"mode":"battle_1v1","bots":2}`, "player-2")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), `"code":"rate_limited"`) {
		t.Fatalf("with every run slot taken: %d %v %s, want 429 rate_limited with Retry-After", rec.Code, rec.Header(), rec.Body)
	}
	p.Close() // ends the hung runs
	closed = true
	if rec := post(`{"mode":"battle_1v1","bots":2}`, "player-2"); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("after Close: %d %s, want 503", rec.Code, rec.Body)
	}
	if got := p.Played(); len(got) != 0 {
		t.Fatalf("hung runs played %v", got)
	}
}
