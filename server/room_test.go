package server

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/netcode"
)

// joinAll dials one raw client per seat of resp over transport name.
func joinAll(t *testing.T, h *harness, resp contract.RoomCreated, name string) []*rawClient {
	t.Helper()
	var out []*rawClient
	for _, st := range resp.Seats {
		rc := dialRaw(t, h.dialer(name))
		rc.hello(netcode.Hello{Ticket: st.Ticket})
		out = append(out, rc)
	}
	for _, rc := range out {
		rc.waitWelcome(t)
	}
	return out
}

// sendMoves sends inputs 1..n moving +1 on x, each frame resending every
// input not yet acknowledged by the server (as a real client does).
func sendMoves(t *testing.T, rc *rawClient, n int) {
	t.Helper()
	var pending []netcode.Input
	for seq := uint32(1); seq <= uint32(n); seq++ {
		pending = append(pending, netcode.Input{Seq: seq, MoveX: 1, CastSlot: -1})
		rc.mu.Lock()
		ack := rc.inputAck
		rc.mu.Unlock()
		for len(pending) > 0 && pending[0].Seq <= ack {
			pending = pending[1:]
		}
		rc.input(pending...)
	}
	last := time.Now()
	waitFor(t, "input ack", func() bool {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if rc.inputAck < uint32(n) && time.Since(last) > 50*time.Millisecond {
			last = time.Now()
			pending = pending[:0]
			for s := rc.inputAck + 1; s <= uint32(n); s++ {
				pending = append(pending, netcode.Input{Seq: s, MoveX: 1, CastSlot: -1})
			}
			_ = rc.c.WriteFrame(netcode.AppendInputFrame(nil, &netcode.InputFrame{AckTick: rc.world.Tick, Inputs: pending}))
		}
		return rc.inputAck == uint32(n)
	})
}

func TestRoomPlaysToTheEnd(t *testing.T) {
	for _, name := range []string{"mem", "kcp", "ws"} {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig()
			h := startHarness(t, cfg, scriptFactory(60, 150))
			spec := contract.RoomSpec{MatchID: "m_" + name, Mode: ModeBattle1v1, Seats: seatSpecs(2, 2)}
			resp := h.create(spec)
			clients := joinAll(t, h, resp, name)
			sendMoves(t, clients[0], 20)
			// Seat 0's entity moved exactly once per input, although most
			// inputs were sent several times.
			waitFor(t, "world shows the moves", func() bool {
				_, _, w, _, _, _ := clients[0].state()
				e := w.Find(1)
				return e != nil && e.Fields[netcode.FieldX] == 20
			})
			ctx, cancel := testContext()
			defer cancel()
			rec, err := h.sink.Wait(ctx, spec.MatchID)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Outcome != contract.OutcomeTeamWin || rec.Ticks != 150 || rec.RoomID != resp.RoomID ||
				rec.ServerID != "room-test" || rec.Mode != ModeBattle1v1 || len(rec.Participants) != 2 {
				t.Fatalf("record %+v", rec)
			}
			for _, rc := range clients {
				if e := rc.waitClosed(t); e != nil {
					t.Fatalf("match end sent error %v, want bye", e)
				}
				if _, _, _, snaps, _, bye := rc.state(); !bye || snaps == 0 {
					t.Fatalf("bye=%v snapshots=%d", bye, snaps)
				}
			}
			waitFor(t, "room forgotten", func() bool { return h.srv.reg.len() == 0 })
			checkMetricsPage(t, h, name)
		})
	}
}

// checkMetricsPage reads /metrics over HTTP after a match played over
// transport and checks the instruments the issue names are there and moved.
func checkMetricsPage(t *testing.T, h *harness, transport string) {
	t.Helper()
	page := scrapeAdmin(t, h)
	for _, want := range []string{
		`pantheon_room_tick_duration_seconds_count{mode="battle_1v1"} 150`,
		`pantheon_room_tick_lateness_seconds_count{mode="battle_1v1"}`,
		`pantheon_room_tick_overruns_total{mode="battle_1v1"}`,
		`pantheon_room_rooms{state="running"} 0`,
		`pantheon_room_connections{transport="` + transport + `"}`,
		`pantheon_room_bytes_in_total{transport="` + transport + `"}`,
		`pantheon_room_bytes_out_total{transport="` + transport + `"}`,
		`pantheon_room_input_drops_total{reason="stale"}`,
		`pantheon_room_results_total{outcome="team_win"} 1`,
		`pantheon_room_admissions_total{result="ok"} 2`,
		"process_resident_memory_bytes ",
		"go_goroutines ",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if h.srv.metricValue("pantheon_room_bytes_out_total", transport) <= 0 || h.srv.metricValue("pantheon_room_bytes_in_total", transport) <= 0 {
		t.Error("no bytes counted")
	}
}

func TestTicketMatrix(t *testing.T) {
	cfg := testConfig()
	h := startHarness(t, cfg, scriptFactory(30, 0))
	resp := h.create(contract.RoomSpec{MatchID: "m_t", Mode: ModeRaid, Seats: seatSpecs(6, 1)})
	seat := 0
	for _, name := range []string{"kcp", "ws"} {
		t.Run(name, func(t *testing.T) {
			now := time.Now()
			other, _ := NewTickets(bytes.Repeat([]byte("o"), 32))
			forged, _, _ := other.Issue(KindJoin, resp.RoomID, 0, "p_0", now, time.Minute)
			expired, _, _ := h.srv.tickets.Issue(KindJoin, resp.RoomID, 0, "p_0", now.Add(-time.Hour), time.Minute)
			wrongRoom, _, _ := h.srv.tickets.Issue(KindJoin, "r_elsewhere", 0, "p_0", now, time.Minute)
			wrongSeat, _, _ := h.srv.tickets.Issue(KindJoin, resp.RoomID, 1, "p_0", now, time.Minute)
			none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, TicketClaims{Kind: KindJoin, Room: resp.RoomID,
				RegisteredClaims: jwt.RegisteredClaims{Subject: "p_0", ID: "x", ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}}).
				SignedString(jwt.UnsafeAllowNoneSignatureType)
			cases := []struct {
				what   string
				ticket string
				want   netcode.Code
			}{
				{"forged", forged, netcode.CodeBadTicket},
				{"alg none", none, netcode.CodeBadTicket},
				{"garbage", "garbage", netcode.CodeBadTicket},
				{"expired", expired, netcode.CodeTicketExpired},
				{"wrong room", wrongRoom, netcode.CodeWrongRoom},
				{"seat of another player", wrongSeat, netcode.CodeBadTicket},
			}
			for _, tc := range cases {
				rc := dialRaw(t, h.dialer(name))
				rc.hello(netcode.Hello{Ticket: tc.ticket})
				if e := rc.waitClosed(t); e == nil || e.Code != tc.want {
					t.Errorf("%s: got %v, want %s", tc.what, e, tc.want)
				}
			}
			// A good ticket works once; the same ticket again is refused.
			good := resp.Seats[seat].Ticket
			seat++
			first := dialRaw(t, h.dialer(name))
			first.hello(netcode.Hello{Ticket: good})
			first.waitWelcome(t)
			again := dialRaw(t, h.dialer(name))
			again.hello(netcode.Hello{Ticket: good})
			if e := again.waitClosed(t); e == nil || e.Code != netcode.CodeTicketReused {
				t.Errorf("reused: got %v, want ticket_reused", e)
			}
			// A wrong protocol version is refused before the ticket is spent.
			v := dialRaw(t, h.dialer(name))
			v.hello(netcode.Hello{Version: 99, Ticket: resp.Seats[seat].Ticket})
			if e := v.waitClosed(t); e == nil || e.Code != netcode.CodeVersionMismatch {
				t.Errorf("version: got %v, want version_mismatch", e)
			}
		})
	}
}

func TestReconnectSwitchesTransport(t *testing.T) {
	cfg := testConfig()
	h := startHarness(t, cfg, scriptFactory(60, 0))
	spec := contract.RoomSpec{MatchID: "m_r", Mode: ModeBattle1v1, Seats: seatSpecs(2, 2)}
	resp := h.create(spec)
	a := dialRaw(t, h.dialer("kcp"))
	a.hello(netcode.Hello{Ticket: resp.Seats[0].Ticket})
	w := a.waitWelcome(t)
	b := joinAll(t, h, contract.RoomCreated{Seats: resp.Seats[1:]}, "ws")[0]
	_ = b
	sendMoves(t, a, 10)
	var lastTick uint32
	waitFor(t, "moves applied", func() bool {
		_, _, world, _, _, _ := a.state()
		e := world.Find(1)
		lastTick = world.Tick
		return e != nil && e.Fields[netcode.FieldX] == 10
	})
	// The KCP connection dies; the player comes back over WebSocket with
	// its resume token and the last tick it applied.
	a.c.Close()
	r, _ := h.srv.reg.get(resp.RoomID)
	waitFor(t, "drop noticed", func() bool { return r.players.Load() == 1 })

	c := dialRaw(t, h.dialer("ws"))
	c.mu.Lock()
	c.ring[lastTick] = func() *netcode.Snapshot { _, _, s, _, _, _ := a.state(); return &s }()
	c.mu.Unlock()
	c.hello(netcode.Hello{Ticket: resp.Seats[0].Ticket, ResumeToken: w.ResumeToken, LastAckTick: lastTick})
	w2 := c.waitWelcome(t)
	if w2.Seat != 0 || w2.ResumeToken == w.ResumeToken || w2.EntityID != w.EntityID {
		t.Fatalf("resumed welcome %+v after %+v", w2, w)
	}
	// Inputs continue where they left off; state is kept.
	c.mu.Lock()
	c.inputAck = 10
	c.mu.Unlock()
	c.input(netcode.Input{Seq: 11, MoveX: 1, CastSlot: -1}, netcode.Input{Seq: 12, MoveX: 1, CastSlot: -1})
	waitFor(t, "state kept and moves continue", func() bool {
		_, _, world, _, _, _ := c.state()
		e := world.Find(1)
		return e != nil && e.Fields[netcode.FieldX] == 12
	})
	// The old token is spent: resuming with it again fails.
	d := dialRaw(t, h.dialer("kcp"))
	d.hello(netcode.Hello{Ticket: resp.Seats[0].Ticket, ResumeToken: w.ResumeToken, LastAckTick: lastTick})
	if e := d.waitClosed(t); e == nil || e.Code != netcode.CodeResumeFailed {
		t.Fatalf("stale resume token: got %v, want resume_failed", e)
	}
	if n := r.players.Load(); n != 2 {
		t.Fatalf("players %d after resume, want 2", n)
	}
}

func TestGraceExpiryReleasesSeat(t *testing.T) {
	cfg := testConfig()
	cfg.Grace = map[string]time.Duration{ModeBattle1v1: 50 * time.Millisecond}
	h := startHarness(t, cfg, scriptFactory(60, 0))
	resp := h.create(contract.RoomSpec{MatchID: "m_g", Mode: ModeBattle1v1, Seats: seatSpecs(2, 2)})
	clients := joinAll(t, h, resp, "mem")
	w := clients[0].welcome
	clients[0].c.Close()
	r, _ := h.srv.reg.get(resp.RoomID)
	waitFor(t, "seat released", func() bool { return r.released.Load() == 1 })
	c := dialRaw(t, h.dialer("mem"))
	c.hello(netcode.Hello{Ticket: resp.Seats[0].Ticket, ResumeToken: w.ResumeToken})
	if e := c.waitClosed(t); e == nil || e.Code != netcode.CodeResumeFailed {
		t.Fatalf("resume after grace: got %v, want resume_failed", e)
	}
	h.srv.CloseRoom(resp.RoomID)
	ctx, cancel := testContext()
	defer cancel()
	rec, err := h.sink.Wait(ctx, "m_g")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Outcome != contract.OutcomeAborted {
		t.Fatalf("closed room outcome %q", rec.Outcome)
	}
}

// TestTickCountersExportedAtStart: a fresh server's /metrics carries each
// mode's late and skipped tick counters at 0 before any room ran, so an
// alert's rate() sees the first late tick.
func TestTickCountersExportedAtStart(t *testing.T) {
	h := startHarness(t, testConfig(), scriptFactory(30, 0))
	page := scrapeAdmin(t, h)
	if len(h.srv.modes) == 0 {
		t.Fatal("the server has no modes")
	}
	for _, mode := range h.srv.modes {
		for _, name := range []string{"pantheon_room_ticks_late_total", "pantheon_room_ticks_skipped_total", "pantheon_room_tick_overruns_total"} {
			if want := name + `{mode="` + mode + `"} 0` + "\n"; !strings.Contains(page, want) {
				t.Errorf("fresh /metrics lacks %q", want)
			}
		}
	}
}
