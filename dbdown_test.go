package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/bot"
	"github.com/pantheon-oracles/pantheon/internal/testlog"
	"github.com/pantheon-oracles/pantheon/internal/testsvc"
	"github.com/pantheon-oracles/pantheon/persistence/sqlstore"
)

// TestMatchmakingWhilePostgresDown: the whole system as `pantheon dev`
// wires it (lobby, room server with its outbox) on a private PostgreSQL
// cluster. Two players log in and save their oracles, one queues once (its
// rating is read and cached); then PostgreSQL is stopped. Both queue, are
// matched and placed, play the duel to its end (told only once the result
// is in the outbox on disk); the result cannot reach the database. When
// PostgreSQL is back the outbox flushes it: the match is stored once and
// the players' ratings moved, and the lobby's next reads are fresh. The
// lobby logs the outage in one line down and one line up.
func TestMatchmakingWhilePostgresDown(t *testing.T) {
	if testing.Short() {
		t.Skip("a private PostgreSQL cluster (skipped in -short)")
	}
	testsvc.Postgres(t) // runs where Postgres tests run; fails in CI if it cannot
	pg := testsvc.StartPGCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := sqlstore.Migrate(ctx, pg.URL()); err != nil {
		t.Fatal(err)
	}
	content, err := quickDuelContent()
	if err != nil {
		t.Fatal(err)
	}
	logs := &testlog.Buffer{}
	o := testDevOptions(t, pg.URL())
	o.Lobby.AdminAddr, o.Content = "127.0.0.1:0", content
	o.Room.Server.TickRates = map[string]int{crashMode: 120}
	o.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	d, err := startDev(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := d.stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
	err = d.waitReady(rctx)
	rcancel()
	if err != nil {
		t.Fatal(err)
	}

	// Before the outage: log in, save an oracle, open the push channel;
	// player 0 queues once and cancels, so its rating is cached.
	seats, err := bot.Seats(content, crashMode, 2, 7)
	if err != nil {
		t.Fatal(err)
	}
	var players []*apiPlayer
	for i := range 2 {
		p := newAPIPlayer(t, d.lobbyURL, fmt.Sprintf("device-pgdown-%06d", i))
		p.saveOracle(t, seats[i].Oracle)
		players = append(players, p)
	}
	p0 := players[0].queue(t)
	players[0].call(t, "DELETE", "/v1/tickets/"+p0, nil, http.StatusNoContent, nil)

	pg.Stop()
	down := time.Now()
	tickets := map[string]string{}
	for _, p := range players {
		tickets[p.id] = p.queue(t) // 201 although the database is down
	}
	var matchID string
	ended := make(chan string, 2)
	var bots []*crashBot
	for i, p := range players {
		seat := p.waitSeat(t, tickets[p.id])
		if matchID == "" {
			matchID = seat.MatchID
		} else if seat.MatchID != matchID {
			t.Fatalf("players placed in different matches %s and %s", matchID, seat.MatchID)
		}
		es := ecs.Seat{Seat: seat.Seat, Team: seat.Team, PlayerID: p.id, Oracle: seats[i].Oracle}
		var once sync.Once
		b, err := startCrashBot(ctx, content, es, seat.Ticket, seat.WSURL, uint64(11+i), func() { once.Do(func() { ended <- p.id }) })
		if err != nil {
			t.Fatalf("player %d connects to the room: %v", i, err)
		}
		bots = append(bots, b)
	}
	defer func() {
		for _, b := range bots {
			b.close()
		}
	}()
	for range 2 {
		select {
		case <-ended:
		case <-time.After(60 * time.Second):
			t.Fatalf("the duel did not end within 60 s\nlogs:\n%s", logs.String())
		}
	}
	page := scrape(t, "http://"+d.lobbyAdmin+"/metrics", "")
	for series, want := range map[string]float64{
		`pantheon_lobby_db_cache_hits_total{kind="rating",result="stale"}`:   1, // player 0
		`pantheon_lobby_db_cache_hits_total{kind="rating",result="default"}`: 1, // player 1, never rated
		`pantheon_lobby_db_cache_hits_total{kind="roster",result="stale"}`:   2,
		`pantheon_lobby_dependency_up{dependency="database"}`:                0,
	} {
		if got := metricValue(t, page, series); got != want {
			t.Errorf("during the outage %s = %v, want %v", series, got, want)
		}
	}

	// PostgreSQL back: the outbox delivers the result exactly once.
	pg.Start()
	back := time.Now()
	deadline := time.Now().Add(90 * time.Second)
	var rec contract.MatchRecord
	for {
		if rec, err = d.store.Match(ctx, matchID); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("match %s not in the database 90 s after PostgreSQL came back: %v\nlogs:\n%s", matchID, err, logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("PostgreSQL down %v (tickets queued, matched, played meanwhile); the result landed %v after it came back",
		back.Sub(down).Round(time.Millisecond), time.Since(back).Round(time.Millisecond))
	if len(rec.Participants) != 2 || rec.Outcome == contract.OutcomeAborted {
		t.Fatalf("stored %+v", rec)
	}
	rs, err := d.store.Ratings(ctx, crashMode, []string{players[0].id, players[1].id})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Matches != 1 {
			t.Errorf("player %s: rating counts %d matches, want 1", r.PlayerID, r.Matches)
		}
	}
	// The lobby's health loop sees the database back; the next tickets
	// read fresh ratings.
	deadline = time.Now().Add(30 * time.Second)
	for metricValue(t, scrape(t, "http://"+d.lobbyAdmin+"/metrics", ""), `pantheon_lobby_dependency_up{dependency="database"}`) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the lobby did not see PostgreSQL back within 30 s\nlogs:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, p := range players {
		p.queue(t)
	}
	page = scrape(t, "http://"+d.lobbyAdmin+"/metrics", "")
	if got := metricValue(t, page, `pantheon_lobby_db_cache_hits_total{kind="rating",result="fresh"}`); got != 3 {
		t.Errorf("fresh rating reads %v, want 3 (player 0 before the outage, both after)", got)
	}
	downs := strings.Count(logs.String(), `msg="dependency down" dependency=database`)
	ups := strings.Count(logs.String(), `msg="dependency recovered" dependency=database`)
	if downs != 1 || ups != 1 {
		t.Errorf("the lobby logged the outage in %d down and %d recovered lines, want 1 and 1", downs, ups)
	}
}

// metricValue returns the value of one series on a metrics page (0 when
// absent).
func metricValue(t *testing.T, page, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(page)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatalf("%s: %v", series, err)
	}
	return v
}

// apiPlayer is a logged-in player of the lobby's HTTP API with its push
// channel open.
type apiPlayer struct {
	base, token, id string
	ws              *websocket.Conn
}

// lobbySeat is the seat of a match_found event.
type lobbySeat struct {
	MatchID string `json:"match_id"`
	Seat    int    `json:"seat"`
	Team    int    `json:"team"`
	WSURL   string `json:"ws_url"`
	Ticket  string `json:"ticket"`
}

func newAPIPlayer(t *testing.T, base, device string) *apiPlayer {
	t.Helper()
	p := &apiPlayer{base: base}
	var tok struct {
		AccessToken string `json:"access_token"`
		PlayerID    string `json:"player_id"`
	}
	p.call(t, "POST", "/v1/auth/guest", map[string]string{"device_id": device}, http.StatusOK, &tok)
	p.token, p.id = tok.AccessToken, tok.PlayerID
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	ws, _, err := d.Dial("ws"+strings.TrimPrefix(base, "http")+"/v1/events", http.Header{"Authorization": {"Bearer " + p.token}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	p.ws = ws
	return p
}

// call sends one JSON request and fails the test unless it answers want;
// out, when set, receives the body.
func (p *apiPlayer) call(t *testing.T, method, path string, in any, want int, out any) {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if p.token != "" {
		req.Header.Set("Authorization", "Bearer "+p.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, data, want)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

func (p *apiPlayer) saveOracle(t *testing.T, o ecs.OracleSpec) {
	t.Helper()
	p.call(t, "PUT", "/v1/me/oracles/o1", map[string]any{"name": "o1", "archetype": o.Archetype, "role": o.Role,
		"loadout": o.Loadout, "pet": o.Pet, "form": o.Form, "totem": o.Totem}, http.StatusCreated, nil)
}

// queue creates a ticket for crashMode and returns its id.
func (p *apiPlayer) queue(t *testing.T) string {
	t.Helper()
	var tk struct {
		ID string `json:"id"`
	}
	p.call(t, "POST", "/v1/tickets", map[string]string{"mode": crashMode, "oracle_id": "o1"}, http.StatusCreated, &tk)
	return tk.ID
}

// waitSeat reads push events until ticket's match_found, for at most 30 s.
func (p *apiPlayer) waitSeat(t *testing.T, ticket string) lobbySeat {
	t.Helper()
	_ = p.ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		_, data, err := p.ws.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for match_found of %s: %v", ticket, err)
		}
		var ev struct {
			Type     string     `json:"type"`
			TicketID string     `json:"ticket_id"`
			Match    *lobbySeat `json:"match"`
		}
		if err := json.Unmarshal(data, &ev); err != nil {
			t.Fatalf("event %s: %v", data, err)
		}
		if ev.Type == "match_found" && ev.TicketID == ticket && ev.Match != nil {
			return *ev.Match
		}
	}
}
