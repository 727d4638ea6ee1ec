package lobby

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/lobby/fleet/fleettest"
	"github.com/pantheon-oracles/pantheon/lobby/store"
)

// refuseWater is a content validator that refuses the "water" archetype.
type refuseWater struct{}

func (refuseWater) ValidateOracle(o contract.Oracle) error {
	if o.Archetype == "water" {
		return errors.New("ecs: invalid oracle: archetype: unknown id \"water\"")
	}
	return nil
}

func TestRosters(t *testing.T) {
	h := newHarness(t, nil, func(c *Config, d *Deps) { c.MaxOracles = 2; d.Validator = refuseWater{} })
	a := h.guest("device-roster-0001")
	put := func(id string, b oracleBody) response { return h.do("PUT", "/v1/me/oracles/"+id, a.AccessToken, b) }
	valid := oracleBody{Name: "Ember", Archetype: "aries", Role: "host", Loadout: []string{"ember_strike"}}
	expect(t, "create", put("o1", valid), 201, "")
	valid.Name = "Ember II"
	expect(t, "replace", put("o1", valid), 200, "")
	for name, b := range map[string]oracleBody{
		"bad role":          {Archetype: "aries", Role: "king"},
		"no archetype":      {Role: "host"},
		"refused content":   {Archetype: "water", Role: "host"},
		"loadout too long":  {Archetype: "aries", Role: "host", Loadout: strings.Split("a,b,c,d,e,f,g,h,i", ",")},
		"id differs":        {ID: "other", Archetype: "aries", Role: "host"},
		"name over 32 byte": {Name: strings.Repeat("n", 33), Archetype: "aries", Role: "host"},
	} {
		expect(t, name, put("o2", b), 400, CodeInvalidOracle)
	}
	expect(t, "bad id", put("bad%20id", valid), 400, CodeInvalidOracle)
	expect(t, "second", put("o2", oracleBody{Archetype: "leo", Role: "friend"}), 201, "")
	expect(t, "roster full", put("o3", oracleBody{Archetype: "leo", Role: "friend"}), 409, CodeRosterFull)
	r := h.do("GET", "/v1/me/oracles", a.AccessToken, nil)
	expect(t, "list", r, 200, "")
	var list struct{ Oracles []oracleBody }
	r.decode(t, &list)
	if len(list.Oracles) != 2 || list.Oracles[0].Name != "Ember II" || list.Oracles[1].Role != "friend" {
		t.Fatalf("roster %+v", list)
	}
	expect(t, "delete", h.do("DELETE", "/v1/me/oracles/o2", a.AccessToken, nil), 204, "")
	expect(t, "delete again", h.do("DELETE", "/v1/me/oracles/o2", a.AccessToken, nil), 404, CodeOracleNotFound)
	// Another player cannot see or delete it.
	b := h.guest("device-roster-0002")
	expect(t, "delete another's", h.do("DELETE", "/v1/me/oracles/o1", b.AccessToken, nil), 404, CodeOracleNotFound)
}

func TestTicketLifecycle(t *testing.T) {
	h := newHarness(t, nil, func(c *Config, _ *Deps) { c.QueueCap = 2 })
	a := h.guest("device-ticket-0001")
	h.oracle(a.AccessToken, "host1", contract.RoleHost)
	h.oracle(a.AccessToken, "kid", contract.RoleDescendant)
	h.oracle(a.AccessToken, "buddy", contract.RoleFriend)

	expect(t, "unknown mode", h.do("POST", "/v1/tickets", a.AccessToken, ticketRequest{Mode: "chess", OracleID: "host1"}), 400, CodeUnknownMode)
	expect(t, "unknown oracle", h.do("POST", "/v1/tickets", a.AccessToken, ticketRequest{Mode: "battle_1v1", OracleID: "zz"}), 404, CodeOracleNotFound)
	expect(t, "descendant", h.do("POST", "/v1/tickets", a.AccessToken, ticketRequest{Mode: "battle_1v1", OracleID: "kid"}), 400, CodeInvalidTicket)
	expect(t, "friend alone in 1v1", h.do("POST", "/v1/tickets", a.AccessToken, ticketRequest{Mode: "battle_1v1", OracleID: "buddy"}), 400, CodeInvalidTicket)

	tk := h.queue(a.AccessToken, "battle_1v1", "host1")
	if tk.State != store.StateQueued || len(tk.Players) != 1 || tk.Players[0] != a.PlayerID {
		t.Fatalf("ticket %+v", tk)
	}
	expect(t, "second ticket", h.do("POST", "/v1/tickets", a.AccessToken, ticketRequest{Mode: "ritual", OracleID: "host1"}), 409, CodeAlreadyQueued)
	r := h.do("GET", "/v1/tickets/"+tk.ID, a.AccessToken, nil)
	expect(t, "get", r, 200, "")
	b := h.guest("device-ticket-0002")
	expect(t, "another's ticket", h.do("GET", "/v1/tickets/"+tk.ID, b.AccessToken, nil), 404, CodeTicketNotFound)
	expect(t, "cancel another's", h.do("DELETE", "/v1/tickets/"+tk.ID, b.AccessToken, nil), 404, CodeTicketNotFound)
	expect(t, "cancel", h.do("DELETE", "/v1/tickets/"+tk.ID, a.AccessToken, nil), 204, "")
	expect(t, "cancel again", h.do("DELETE", "/v1/tickets/"+tk.ID, a.AccessToken, nil), 409, CodeTicketConflict)
	var v ticketView
	h.do("GET", "/v1/tickets/"+tk.ID, a.AccessToken, nil).decode(t, &v)
	if v.State != store.StateCancelled {
		t.Fatalf("cancelled ticket reads %s", v.State)
	}

	// Queue cap: 429 with Retry-After.
	for i := range 3 {
		p := h.guest(fmt.Sprintf("device-cap-%08d", i))
		h.oracle(p.AccessToken, "h", contract.RoleHost)
		r := h.do("POST", "/v1/tickets", p.AccessToken, ticketRequest{Mode: "ritual", OracleID: "h"})
		if i < 2 {
			expect(t, "under cap", r, 201, "")
			continue
		}
		expect(t, "over cap", r, 429, CodeQueueFull)
		if r.header.Get("Retry-After") != "5" {
			t.Fatalf("queue full Retry-After %q", r.header.Get("Retry-After"))
		}
	}
}

// TestKCPPerSeatKeys (lobby side): the room server gives every seat its
// own KCP key, and the lobby hands each player only its own seat's, in
// match_found and in the ticket view (testMatchFlow checks it).
func TestKCPPerSeatKeys(t *testing.T) {
	testMatchFlow(t, newHarness(t, nil, nil))
}

// TestMatchFlow: two players queue, a pass matches them, the room server
// creates the room, and each player gets match_found on the push channel
// with the server's endpoints, its own signed ticket and its seat's own
// KCP key.
func TestMatchFlow(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { testMatchFlow(t, newHarness(t, nil, withDB(b.open(t)))) })
	}
}

func testMatchFlow(t *testing.T, h *harness) {
	h.heartbeat("room-1")
	ctx := context.Background()
	var ps []tokenResponse
	var tks []ticketView
	for i := range 2 {
		p := h.guest(fmt.Sprintf("device-flow-%07d", i))
		h.oracle(p.AccessToken, "h", contract.RoleHost)
		ps = append(ps, p)
	}
	ws0, _, err := dialEvents(t, h.url, ps[0].AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	ws1, _, err := dialEvents(t, h.url, ps[1].AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		tks = append(tks, h.queue(p.AccessToken, "battle_1v1", "h"))
	}
	rep, err := h.l.Pass(ctx, "battle_1v1")
	if err != nil || !rep.Leader || rep.Formed != 1 || rep.Claimed != 1 || rep.Assigned != 1 {
		t.Fatalf("pass %+v %v", rep, err)
	}
	rooms := h.rs.Rooms()
	if len(rooms) != 1 {
		t.Fatalf("room server has %d rooms", len(rooms))
	}
	req := h.rs.Requests()[0]
	if req.Mode != "battle_1v1" || len(req.Seats) != 2 || req.Seats[0].Team == req.Seats[1].Team || req.Seats[0].Oracle.Role != "host" {
		t.Fatalf("room request %+v", req)
	}
	for i, ws := range []*websocket.Conn{ws0, ws1} {
		ev := readEvent(t, ws, EventMatchFound)
		m := ev.Match
		room := rooms[m.MatchID]
		if m == nil || ev.TicketID != tks[i].ID || m.PlayerID != ps[i].PlayerID || m.RoomID != room.RoomID ||
			m.Ticket != h.rs.Sign(room.RoomID, m.Seat, ps[i].PlayerID) || m.KCPAddr == "" || m.WSURL == "" || m.KCPKey == "" || m.ServerID != "room-1" {
			t.Fatalf("player %d match_found %+v", i, ev)
		}
		// The player gets its own seat's KCP key, never another seat's.
		if m.KCPKey != fleettest.SeatKey(room.RoomID, m.Seat) || m.KCPKey == fleettest.SeatKey(room.RoomID, 1-m.Seat) {
			t.Fatalf("player %d (seat %d) got KCP key %q, want its seat's own %q", i, m.Seat, m.KCPKey, fleettest.SeatKey(room.RoomID, m.Seat))
		}
		var v ticketView
		h.do("GET", "/v1/tickets/"+tks[i].ID, ps[i].AccessToken, nil).decode(t, &v)
		if v.State != store.StateAssigned || v.Seat == nil || v.Seat.Ticket != m.Ticket || v.Seat.KCPKey != m.KCPKey {
			t.Fatalf("ticket after assignment %+v", v)
		}
	}
	// Assigned players may queue again.
	h.queue(ps[0].AccessToken, "battle_1v1", "h")
}

// TestNoServerRequeues: without a live room server (its heartbeat
// expired) the formed match is held, not claimed, and its tickets stay
// queued with their original wait; a fresh heartbeat brings the server
// back and the next pass places them. A server that advertises room but
// refuses makes the match requeue (no_room_server).
func TestNoServerRequeues(t *testing.T) {
	clk := &clock{t: time.Now()}
	h := newHarness(t, nil, func(c *Config, d *Deps) { d.Now = clk.Now; c.HeartbeatTTL = 3 * time.Second })
	h.heartbeat("room-1")
	var tks []ticketView
	var toks []string
	for i := range 2 {
		p := h.guest(fmt.Sprintf("device-nosrv-%06d", i))
		h.oracle(p.AccessToken, "h", contract.RoleHost)
		tks = append(tks, h.queue(p.AccessToken, "battle_1v1", "h"))
		toks = append(toks, p.AccessToken)
	}
	clk.Add(4 * time.Second) // past the heartbeat TTL
	r := doReq(t, h.url, "GET", "/v1/servers", testFleet, nil)
	if !strings.Contains(string(r.body), `"servers":[]`) {
		t.Fatalf("expired server still listed: %s", r.body)
	}
	rep, err := h.l.Pass(context.Background(), "battle_1v1")
	if err != nil || rep.Formed != 1 || rep.Held != 1 || rep.Claimed != 0 {
		t.Fatalf("pass without servers %+v %v", rep, err)
	}
	checkQueued := func(reason string) {
		t.Helper()
		for i, tk := range tks {
			var v ticketView
			h.do("GET", "/v1/tickets/"+tk.ID, toks[i], nil).decode(t, &v)
			if v.State != store.StateQueued || !v.EnqueuedAt.Equal(tk.EnqueuedAt) || v.Reason != reason {
				t.Fatalf("ticket %+v (enqueued %v), want queued with reason %q", v, tk.EnqueuedAt, reason)
			}
		}
	}
	checkQueued("")
	// A server that says it has room but refuses: claimed, requeued.
	h.rs.SetFull(true)
	h.heartbeat("room-1")
	rep, err = h.l.Pass(context.Background(), "battle_1v1")
	if err != nil || rep.Claimed != 1 || rep.Requeued != 1 {
		t.Fatalf("pass on a refusing server %+v %v", rep, err)
	}
	checkQueued(ReasonNoRoomServer)
	// It takes rooms again; after the capacity back-off the next pass
	// places them.
	h.rs.SetFull(false)
	clk.Add(h.l.Config().CapacityRetry)
	h.heartbeat("room-1")
	rep, err = h.l.Pass(context.Background(), "battle_1v1")
	if err != nil || rep.Assigned != 1 {
		t.Fatalf("pass after heartbeat %+v %v", rep, err)
	}
	if len(h.rs.Rooms()) != 1 {
		t.Fatal("room not created")
	}
}

func TestHeartbeatAuthAndValidation(t *testing.T) {
	h := newHarness(t, nil, nil)
	hb := h.rs.Heartbeat("room-1")
	expect(t, "no secret", h.do("POST", "/v1/servers/heartbeat", "", hb), 401, CodeUnauthorized)
	expect(t, "wrong secret", h.do("POST", "/v1/servers/heartbeat", "wrong-secret-xxxxxxxx", hb), 401, CodeUnauthorized)
	hb.MaxRooms = 0
	expect(t, "bad heartbeat", h.do("POST", "/v1/servers/heartbeat", testFleet, hb), 400, CodeBadHeartbeat)
	expect(t, "list without secret", h.do("GET", "/v1/servers", "", nil), 401, CodeUnauthorized)
}

func TestErrorsAreJSON(t *testing.T) {
	h := newHarness(t, nil, func(c *Config, _ *Deps) { c.MaxBodyBytes = 1024 })
	expect(t, "unknown route", h.do("GET", "/v1/nope", "", nil), 404, CodeNotFound)
	r := h.do("DELETE", "/v1/auth/guest", "", nil)
	expect(t, "wrong method", r, 405, CodeMethodNotAllowed)
	expect(t, "oversized body", h.do("POST", "/v1/auth/guest", "", `{"device_id":"`+strings.Repeat("a", 4096)+`"}`), 413, CodeBodyTooLarge)
	expect(t, "malformed JSON", h.do("POST", "/v1/auth/guest", "", `{"device_id":`), 400, CodeBadRequest)
	expect(t, "unknown field", h.do("POST", "/v1/auth/guest", "", `{"device_id":"device-0000000000001","admin":true}`), 400, CodeBadRequest)
	expect(t, "trailing data", h.do("POST", "/v1/auth/guest", "", `{"device_id":"device-0000000000001"} {}`), 400, CodeBadRequest)
	expect(t, "short device id", h.do("POST", "/v1/auth/guest", "", guestRequest{DeviceID: "short"}), 400, CodeBadRequest)
	// The database down: a 503 with Retry-After, at once rather than after
	// a hang (the fake database fails without waiting, so anything near
	// the bound is a handler waiting on something).
	h.db.SetDown(true)
	start := time.Now()
	r = h.do("POST", "/v1/auth/guest", "", guestRequest{DeviceID: "device-down-000001"})
	expect(t, "database down", r, 503, CodeUnavailable)
	if d := time.Since(start); r.header.Get("Retry-After") == "" || d > 5*time.Second {
		t.Fatalf("503 with Retry-After %q after %v, want a Retry-After within 5s", r.header.Get("Retry-After"), d)
	}
}

// TestRateLimits: per-IP and per-account login limits answer 429 with
// Retry-After; X-Forwarded-For is ignored from an untrusted peer and
// honoured from a trusted proxy; repeated bad credentials block the IP.
func TestRateLimits(t *testing.T) {
	t.Run("per IP, spoofed XFF ignored", func(t *testing.T) {
		h := newHarness(t, nil, func(c *Config, _ *Deps) { c.Limits.LoginPerIP = store.Limit{Rate: 0.01, Burst: 3} })
		for i := range 4 {
			r := h.do("POST", "/v1/auth/guest", "", guestRequest{DeviceID: fmt.Sprintf("device-ip-%09d", i)}, "X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i))
			if i < 3 {
				expect(t, "within burst", r, 200, "")
				continue
			}
			expect(t, "over the per-IP limit", r, 429, CodeRateLimited)
			if r.header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		}
	})
	t.Run("trusted proxy", func(t *testing.T) {
		h := newHarness(t, nil, func(c *Config, _ *Deps) {
			c.Limits.LoginPerIP = store.Limit{Rate: 0.01, Burst: 1}
			c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
		})
		for i := range 3 {
			r := h.do("POST", "/v1/auth/guest", "", guestRequest{DeviceID: fmt.Sprintf("device-px-%09d", i)}, "X-Forwarded-For", fmt.Sprintf("203.0.113.9, 198.51.100.%d", i))
			expect(t, "distinct clients behind the proxy", r, 200, "")
		}
		r := h.do("POST", "/v1/auth/guest", "", guestRequest{DeviceID: "device-px-000000009"}, "X-Forwarded-For", "198.51.100.0")
		expect(t, "same client again", r, 429, CodeRateLimited)
	})
	t.Run("per account", func(t *testing.T) {
		h := newHarness(t, nil, func(c *Config, _ *Deps) { c.Limits.LoginPerAccount = store.Limit{Rate: 0.01, Burst: 2} })
		for i := range 3 {
			r := h.do("POST", "/v1/auth/guest", "", guestRequest{DeviceID: "device-acct-0000001"})
			if i < 2 {
				expect(t, "within burst", r, 200, "")
			} else {
				expect(t, "over the per-account limit", r, 429, CodeRateLimited)
			}
		}
	})
	t.Run("brute force blocks the IP", func(t *testing.T) {
		h := newHarness(t, nil, func(c *Config, _ *Deps) { c.Limits.FailuresPerIP = store.Limit{Rate: 0.01, Burst: 3} })
		for i := range 4 {
			r := h.do("POST", "/v1/auth/login", "", providerRequest{Provider: "dev", Credential: fmt.Sprintf("x.%02d", i)})
			expect(t, "bad credential", r, 401, CodeBadCredential)
		}
		r := h.do("POST", "/v1/auth/login", "", providerRequest{Provider: "dev", Credential: devProvider.Credential("carol")})
		expect(t, "good credential from a blocked IP", r, 429, CodeRateLimited)
		expect(t, "guest from a blocked IP", h.do("POST", "/v1/auth/guest", "", guestRequest{DeviceID: "device-bf-000000001"}), 429, CodeRateLimited)
	})
}

// TestRostersWithContent validates oracles against the real game content
// (ecs) and stores them in the real embedded database.
func TestRostersWithContent(t *testing.T) {
	bundle, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	validator := RosterValidatorFunc(func(o contract.Oracle) error {
		return ecs.ValidateOracle(bundle, ecs.OracleSpec{Archetype: o.Archetype, Role: o.Role, Loadout: o.Loadout, Pet: o.Pet, Form: o.Form, Totem: o.Totem})
	})
	db := backends()[1].open(t)
	h := newHarness(t, nil, func(c *Config, d *Deps) { withDB(db)(c, d); d.Validator = validator })
	a := h.guest("device-content-0001")
	put := func(id string, b oracleBody) response { return h.do("PUT", "/v1/me/oracles/"+id, a.AccessToken, b) }
	expect(t, "valid oracle", put("o1", oracleBody{Archetype: "aries", Role: "host", Loadout: []string{"ember_strike", "flame_wave"}}), 201, "")
	expect(t, "default loadout", put("o2", oracleBody{Archetype: "aries", Role: "friend"}), 201, "")
	for name, b := range map[string]oracleBody{
		"unknown archetype":   {Archetype: "ophiuchus", Role: "host"},
		"ability not in kit":  {Archetype: "aries", Role: "host", Loadout: []string{"no_such_ability"}},
		"repeated ability":    {Archetype: "aries", Role: "host", Loadout: []string{"ember_strike", "ember_strike"}},
		"unknown pet":         {Archetype: "aries", Role: "host", Pet: "dragon_of_nowhere"},
		"over the slot count": {Archetype: "aries", Role: "host", Loadout: []string{"ember_strike", "flame_wave", "cinder_step", "solar_flare", "stone_fist"}},
	} {
		expect(t, name, put("bad", b), 400, CodeInvalidOracle)
	}
	tk := h.queue(a.AccessToken, "battle_3v3", "o1")
	if tk.State != store.StateQueued {
		t.Fatalf("ticket %+v", tk)
	}
}

// TestPartyTicket: two players queue as a party through consents; a 3v3
// forms with four solos and the party shares a team. Misused consents are
// refused.
func TestPartyTicket(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.heartbeat("room-1")
	leader := h.guest("device-party-lead01")
	mate := h.guest("device-party-mate01")
	h.oracle(leader.AccessToken, "h", contract.RoleHost)
	h.oracle(mate.AccessToken, "f", contract.RoleFriend)
	consent := func(tok, leaderID, mode, oracle string) response {
		return h.do("POST", "/v1/parties/consent", tok, consentRequest{LeaderID: leaderID, Mode: mode, OracleID: oracle})
	}
	r := consent(mate.AccessToken, leader.PlayerID, "battle_3v3", "f")
	expect(t, "consent", r, 200, "")
	var c consentResponse
	r.decode(t, &c)
	expect(t, "consent for oneself", consent(leader.AccessToken, leader.PlayerID, "battle_3v3", "h"), 400, CodeBadRequest)
	expect(t, "consent with a missing oracle", consent(mate.AccessToken, leader.PlayerID, "battle_3v3", "zz"), 404, CodeOracleNotFound)
	expect(t, "consent used as an access token", h.do("GET", "/v1/me", c.Consent, nil), 401, CodeUnauthorized)

	other := h.guest("device-party-other1")
	h.oracle(other.AccessToken, "h", contract.RoleHost)
	expect(t, "someone else's consent", h.do("POST", "/v1/tickets", other.AccessToken,
		ticketRequest{Mode: "battle_3v3", OracleID: "h", Party: []string{c.Consent}}), 400, CodeInvalidTicket)
	expect(t, "consent for another mode", h.do("POST", "/v1/tickets", leader.AccessToken,
		ticketRequest{Mode: "battle_5v5", OracleID: "h", Party: []string{c.Consent}}), 400, CodeInvalidTicket)
	expect(t, "party in 1v1", h.do("POST", "/v1/tickets", leader.AccessToken,
		ticketRequest{Mode: "battle_1v1", OracleID: "h", Party: []string{c.Consent}}), 400, CodeInvalidTicket)

	wsMate, _, err := dialEvents(t, h.url, mate.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	r = h.do("POST", "/v1/tickets", leader.AccessToken, ticketRequest{Mode: "battle_3v3", OracleID: "h", Party: []string{c.Consent}})
	expect(t, "party ticket", r, 201, "")
	var tk ticketView
	r.decode(t, &tk)
	if len(tk.Players) != 2 || tk.Players[1] != mate.PlayerID {
		t.Fatalf("party ticket players %v", tk.Players)
	}
	expect(t, "mate queueing alone meanwhile", h.do("POST", "/v1/tickets", mate.AccessToken, ticketRequest{Mode: "battle_3v3", OracleID: "f"}), 409, CodeAlreadyQueued)
	h.queue(other.AccessToken, "battle_3v3", "h")
	for i := range 3 {
		p := h.guest(fmt.Sprintf("device-party-solo%02d", i))
		h.oracle(p.AccessToken, "h", contract.RoleHost)
		h.queue(p.AccessToken, "battle_3v3", "h")
	}
	rep, err := h.l.Pass(context.Background(), "battle_3v3")
	if err != nil || rep.Assigned != 1 {
		t.Fatalf("pass %+v %v", rep, err)
	}
	ev := readEvent(t, wsMate, EventMatchFound)
	if ev.TicketID != tk.ID || ev.Match.PlayerID != mate.PlayerID {
		t.Fatalf("mate's match_found %+v", ev)
	}
	team := map[string]int{}
	for _, s := range h.rs.Requests()[0].Seats {
		team[s.PlayerID] = s.Team
	}
	if len(team) != 6 || team[leader.PlayerID] != team[mate.PlayerID] {
		t.Fatalf("party split across teams: %v", team)
	}
}

// TestTicketExpiry: a pass expires tickets past the TTL, tells the player,
// and frees them to queue again.
func TestTicketExpiry(t *testing.T) {
	clk := &clock{t: time.Now()}
	h := newHarness(t, nil, func(c *Config, d *Deps) { d.Now = clk.Now })
	a := h.guest("device-expire-00001")
	h.oracle(a.AccessToken, "h", contract.RoleHost)
	ws, _, err := dialEvents(t, h.url, a.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	tk := h.queue(a.AccessToken, "battle_1v1", "h")
	clk.Add(h.l.Config().Policy.TicketTTL)
	rep, err := h.l.Pass(context.Background(), "battle_1v1")
	if err != nil || rep.Expired != 1 {
		t.Fatalf("pass %+v %v", rep, err)
	}
	for {
		ev := readEvent(t, ws, EventQueueStatus)
		if ev.State == store.StateExpired {
			if ev.TicketID != tk.ID {
				t.Fatalf("expired event for %s", ev.TicketID)
			}
			break
		}
	}
	var v ticketView
	h.do("GET", "/v1/tickets/"+tk.ID, a.AccessToken, nil).decode(t, &v)
	if v.State != store.StateExpired {
		t.Fatalf("ticket reads %s", v.State)
	}
	h.queue(a.AccessToken, "battle_1v1", "h")
}

// oracleBody is the oracle body as an API client writes it.
type oracleBody struct {
	ID        string   `json:"id,omitempty"`
	Name      string   `json:"name"`
	Archetype string   `json:"archetype"`
	Role      string   `json:"role"`
	Loadout   []string `json:"loadout"`
	Pet       string   `json:"pet"`
	Form      string   `json:"form"`
	Totem     string   `json:"totem"`
}
