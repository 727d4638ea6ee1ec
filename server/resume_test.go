package server

import (
	"context"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs/bot"
	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/pantheon-oracles/pantheon/netcode/client"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
)

// TestClientResumesOnWebSocket: a player on KCP in a real battle is cut
// off with a resumable close; netcode's client resumes over WebSocket with
// its token and last acknowledged tick, keeps its seat and entity, and its
// inputs keep moving its oracle.
func TestClientResumesOnWebSocket(t *testing.T) {
	bundle, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.TickRates = map[string]int{ModeBattle1v1: 30}
	s, err := New(cfg, bundle, NewMemorySink())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, srv: s, sink: NewMemorySink()}
	t.Cleanup(h.shutdown)

	seats, err := bot.Seats(bundle, ModeBattle1v1, 2, 7)
	if err != nil {
		t.Fatal(err)
	}
	spec := contract.RoomSpec{MatchID: "m_resume", Mode: ModeBattle1v1, Seed: 7}
	spec.Seats = seatsFromBots(seats)
	resp := h.create(spec)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ccfg := client.DefaultConfig(resp.Seats[0].Ticket)
	ccfg.ResumeDialers = []transport.Dialer{h.dialer("ws")}
	a, err := client.Connect(ctx, h.dialer("kcp"), ccfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := client.Connect(ctx, h.dialer("ws"), client.DefaultConfig(resp.Seats[1].Ticket))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	w := a.Welcome()
	self := w.EntityID
	if self == 0 {
		t.Fatal("no entity in welcome")
	}

	position := func() (tick uint32, x, y int32, ok bool) {
		var snap netcode.Snapshot
		tick = a.World(&snap)
		if e := snap.Find(self); e != nil {
			return tick, e.Fields[netcode.FieldX], e.Fields[netcode.FieldY], true
		}
		return tick, 0, 0, false
	}
	// walk sends one input per new snapshot, as a client does: sending on
	// every poll instead would outrun the room's input rate limit whenever
	// the machine slows the room's ticks more than the test's loop.
	walk := func(dx int32, what string) {
		_, x0, _, _ := position()
		var sentAt uint32
		waitFor(t, what, func() bool {
			tick, x, _, ok := position()
			if tick != sentAt {
				sentAt = tick
				if _, err := a.SendInput(netcode.Input{MoveX: dx, CastSlot: -1}); err != nil {
					t.Fatalf("send at tick %d: %v", tick, err)
				}
			}
			return ok && (x-x0)*dx > 200 // moved more than 2 m the right way
		})
	}
	walk(1000, "walking right over KCP")

	// The server cuts the KCP session with a resumable code.
	r, _ := s.reg.get(resp.RoomID)
	var conn *conn
	waitFor(t, "seat 0's connection", func() bool { conn = r.seatConn(0); return conn != nil })
	tickBefore, xBefore, _, _ := position()
	conn.closeCode(netcode.CodeSlowConsumer, "test: cut the KCP session")

	waitFor(t, "client resumed", func() bool { return a.Stats().Resumes == 1 })
	w2 := a.Welcome()
	if w2.Seat != w.Seat || w2.EntityID != self || w2.ResumeToken == w.ResumeToken {
		t.Fatalf("welcome after resume %+v, before %+v", w2, w)
	}
	waitFor(t, "resumed connection is on WebSocket", func() bool {
		c := r.seatConn(0)
		return c != nil && c.transport == "ws"
	})
	// State was kept: the world continues from where it was, and walking
	// left now moves the same oracle back.
	tick, x, _, ok := position()
	if !ok || tick < tickBefore || x < xBefore-200 {
		t.Fatalf("after resume: tick %d (before %d), x %d (before %d), found %v", tick, tickBefore, x, xBefore, ok)
	}
	walk(-1000, "walking left over WebSocket")
	if st := a.Stats(); st.InputsAcked == 0 || st.SnapshotsApplied == 0 {
		t.Fatalf("stats %+v", st)
	}
}
