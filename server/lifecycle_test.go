package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/pantheon-oracles/pantheon/persistence"
)

// panicky wraps an engine and panics at one tick.
type panicky struct {
	engine
	at uint32
	n  uint32
}

func (p *panicky) Step(in []seatInput, ev []netcode.Event) (uint32, []netcode.Event, bool) {
	p.n++
	if p.n == p.at {
		var nilMap map[string]int
		nilMap["boom"]++ // a real runtime panic, not a scripted one
	}
	return p.engine.Step(in, ev)
}

// TestPanicIsolation runs 8 raid rooms on the real simulation; one panics
// at its tick 30. It ends aborted with its client told, and the other rooms
// keep their tick rate.
func TestPanicIsolation(t *testing.T) {
	content, err := ecs.LoadContent()
	if err != nil {
		t.Fatal(err)
	}
	sim := simFactory(content)
	factory := func(spec RoomSpec) (engine, error) {
		e, err := sim(spec)
		if err != nil || spec.MatchID != "m_p3" {
			return e, err
		}
		return &panicky{engine: e, at: 30}, nil
	}
	cfg := testConfig()
	cfg.TickRates = map[string]int{ModeRaid: 60}
	h := startHarness(t, cfg, factory)
	var rooms []*room
	var clients []*rawClient
	for i := 0; i < 8; i++ {
		spec := RoomSpec{MatchID: "m_p" + string(rune('0'+i)), Mode: ModeRaid, Seed: uint64(i),
			Seats: []SeatSpec{{Seat: 0, PlayerID: "p", Oracle: OracleSpec{Archetype: "aries", Role: "host"}}}}
		resp := h.create(spec)
		clients = append(clients, joinAll(t, h, resp, "mem")...)
		r, _ := h.srv.reg.get(resp.RoomID)
		rooms = append(rooms, r)
	}
	ctx, cancel := testContext()
	defer cancel()
	rec, err := h.sink.Wait(ctx, "m_p3")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Outcome != persistence.OutcomeAborted || len(rec.Participants) != 1 || rec.Participants[0].Result != persistence.ResultAbandoned {
		t.Fatalf("panicked room's record %+v", summary(rec))
	}
	if e := clients[3].waitClosed(t); e == nil || e.Code != netcode.CodeInternal {
		t.Fatalf("panicked room's client got %v, want internal", e)
	}
	if n := h.srv.metricValue("pantheon_room_room_panics_total", ""); n != 1 {
		t.Fatalf("panics metric %v", n)
	}
	// The others keep ticking at 60 Hz: over one second of wall time each
	// advances by at least 80% of 60 ticks.
	before := make([]uint32, len(rooms))
	for i, r := range rooms {
		before[i] = r.tick.Load()
	}
	start := time.Now()
	waitFor(t, "one second", func() bool { return time.Since(start) >= time.Second })
	elapsed := time.Since(start)
	for i, r := range rooms {
		if i == 3 {
			continue
		}
		got := r.tick.Load() - before[i]
		want := uint32(0.8 * 60 * elapsed.Seconds())
		if got < want {
			t.Errorf("room %d advanced %d ticks in %v, want at least %d", i, got, elapsed, want)
		}
		if st := r.summary().State; st != StateRunning {
			t.Errorf("room %d is %s", i, st)
		}
	}
}

// TestSlowConsumer: a WebSocket client that stops reading is closed with
// slow_consumer while its room keeps ticking for the other player, and the
// server's heap stays bounded meanwhile.
func TestSlowConsumer(t *testing.T) {
	cfg := testConfig()
	cfg.SlowConsumerTicks = 180 // 3 s at 60 Hz
	big := func(spec RoomSpec) (engine, error) {
		e, err := scriptFactory(60, 0)(spec)
		e.(*scriptEngine).extra = 2000 // ~100 KiB full snapshots: the socket fills fast
		return e, err
	}
	h := startHarness(t, cfg, big)
	resp := h.create(RoomSpec{MatchID: "m_slow", Mode: ModeBattle1v1, Seats: seatSpecs(2, 2)})
	slow := dialRaw(t, h.dialer("ws"))
	slow.stall = make(chan struct{})
	var unstall sync.Once
	release := func() { unstall.Do(func() { close(slow.stall) }) }
	t.Cleanup(release) // before dialRaw's cleanup waits for the reader
	slow.noAck = true
	slow.hello(netcode.Hello{Ticket: resp.Seats[0].Ticket})
	good := dialRaw(t, h.dialer("mem"))
	// This in-process client's memory counts in the heap measured below, so
	// it keeps no baselines: it never acks, the server sends it full
	// snapshots, and it holds only the newest (a client keeping the
	// server's 32 baselines of ~260 KB each made the heap swing by more
	// than the bound under load).
	good.noAck, good.keep = true, 1
	good.hello(netcode.Hello{Ticket: resp.Seats[1].Ticket})
	good.waitWelcome(t)
	r, _ := h.srv.reg.get(resp.RoomID)
	// Let the room's snapshot ring (32 baselines) fill before measuring.
	waitFor(t, "ring warm", func() bool { return r.tick.Load() > 40 })

	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	heapBefore := ms.HeapAlloc
	// The server drops the stalled client as a slow consumer after
	// SlowConsumerTicks ticks, or, on a machine too loaded to run that
	// many ticks in time, when its transport's write timeout (5 s) fails
	// a write first. Either way it must go while the other stays.
	waitFor(t, "slow consumer dropped", func() bool {
		return h.srv.metricValue("pantheon_room_connection_closes_total", "slow_consumer") == 1 || r.seatConn(0) == nil
	})
	runtime.GC()
	runtime.ReadMemStats(&ms)
	// Without the one-slot mailbox the server would have queued every
	// snapshot since the stall: 180 of ~100 KiB, 18 MiB.
	if grew := int64(ms.HeapAlloc) - int64(heapBefore); grew > 6<<20 {
		t.Errorf("heap grew by %d bytes while the client was stalled", grew)
	}
	_, _, _, snapsBefore, _, _ := good.state()
	tickBefore := r.tick.Load()
	waitFor(t, "the other player keeps getting snapshots", func() bool {
		_, _, _, n, _, _ := good.state()
		return n > snapsBefore+30 && r.tick.Load() > tickBefore+30
	})
	release()
	waitFor(t, "slow client's connection closed", func() bool { return slow.readError() != nil })
	if n := r.players.Load(); n != 1 {
		t.Fatalf("players %d after the slow consumer was closed", n)
	}
}

// TestFloodIsRateLimited: a client sending inputs far over its rate loses
// them and is then closed with rate_limited.
func TestFloodIsRateLimited(t *testing.T) {
	cfg := testConfig()
	h := startHarness(t, cfg, scriptFactory(30, 0))
	resp := h.create(RoomSpec{MatchID: "m_flood", Mode: ModeBattle1v1, Seats: seatSpecs(2, 2)})
	clients := joinAll(t, h, resp, "mem")
	for seq := uint32(1); seq <= 2000; seq++ {
		clients[0].input(netcode.Input{Seq: seq, CastSlot: -1})
	}
	if e := clients[0].waitClosed(t); e == nil || e.Code != netcode.CodeRateLimited {
		t.Fatalf("flooder got %v, want rate_limited", e)
	}
	if n := h.srv.metricValue("pantheon_room_input_drops_total", "rate_limited"); n < float64(cfg.WithDefaults().FloodLimit) {
		t.Fatalf("rate-limited drops %v", n)
	}
}

// TestInputRateFollowsTickRate: a client sending one input every tick is
// never rate limited, whatever the room's tick rate (here 120 Hz, above the
// content's fastest mode), while a flood (TestFloodIsRateLimited) is.
func TestInputRateFollowsTickRate(t *testing.T) {
	cfg := testConfig()
	h := startHarness(t, cfg, scriptFactory(120, 0))
	resp := h.create(RoomSpec{MatchID: "m_fast", Mode: ModeBattle1v1, Seats: seatSpecs(2, 2)})
	clients := joinAll(t, h, resp, "mem")
	seq := make([]uint32, len(clients))
	seen := make([]int, len(clients))
	deadline := time.Now().Add(2 * time.Second) // 240 ticks
	for time.Now().Before(deadline) {
		for i, rc := range clients {
			if _, _, _, snaps, _, _ := rc.state(); snaps > seen[i] {
				seen[i] = snaps
				seq[i]++
				rc.input(netcode.Input{Seq: seq[i], MoveX: 1, CastSlot: -1})
			}
		}
		time.Sleep(time.Millisecond)
	}
	for i, rc := range clients {
		if _, _, _, _, e, bye := rc.state(); e != nil || bye {
			t.Fatalf("client %d closed after %d inputs: %v (bye %v)", i, seq[i], e, bye)
		}
		if seq[i] < 120 {
			t.Fatalf("client %d sent only %d inputs in 2 s at 120 Hz", i, seq[i])
		}
	}
	if n := h.srv.metricValue("pantheon_room_input_drops_total", "rate_limited"); n != 0 {
		t.Fatalf("%v inputs rate limited from clients sending one a tick", n)
	}
}

func TestWaitingDeadline(t *testing.T) {
	cfg := testConfig()
	cfg.WaitDeadline = 100 * time.Millisecond
	h := startHarness(t, cfg, scriptFactory(30, 0))
	h.create(RoomSpec{MatchID: "m_empty", Mode: ModeBattle1v1, Seats: seatSpecs(2, 2)})
	half := h.create(RoomSpec{MatchID: "m_half", Mode: ModeBattle1v1, Seats: seatSpecs(2, 2)})
	rc := dialRaw(t, h.dialer("mem"))
	rc.hello(netcode.Hello{Ticket: half.Seats[0].Ticket})
	rc.waitWelcome(t)
	ctx, cancel := testContext()
	defer cancel()
	rec, err := h.sink.Wait(ctx, "m_empty")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Outcome != persistence.OutcomeAborted {
		t.Fatalf("empty room: %s", summary(rec))
	}
	r, _ := h.srv.reg.get(half.RoomID)
	waitFor(t, "half-full room starts at its deadline", func() bool {
		return r.summary().State == StateRunning && r.tick.Load() > 0
	})
	// The late player can still join the running match.
	late := dialRaw(t, h.dialer("mem"))
	late.hello(netcode.Hello{Ticket: half.Seats[1].Ticket})
	late.waitWelcome(t)
	waitFor(t, "late player's snapshots", func() bool { _, _, _, n, _, _ := late.state(); return n > 0 })
}

// TestDrainAbortsAfterDeadlineAndHeartbeats: heartbeats reach the lobby;
// on Shutdown they say draining, running rooms get the drain deadline, then
// are aborted with server_draining, and their results are flushed.
func TestDrainAbortsAfterDeadlineAndHeartbeats(t *testing.T) {
	var mu sync.Mutex
	var beats []Heartbeat
	lobby := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/servers/heartbeat" || r.Header.Get("Authorization") != "Bearer "+testFleetSecret {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var hb Heartbeat
		if err := json.NewDecoder(r.Body).Decode(&hb); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		beats = append(beats, hb)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer lobby.Close()
	lastBeat := func() (Heartbeat, int) {
		mu.Lock()
		defer mu.Unlock()
		if len(beats) == 0 {
			return Heartbeat{}, 0
		}
		return beats[len(beats)-1], len(beats)
	}

	cfg := testConfig()
	cfg.LobbyURL = lobby.URL
	cfg.Heartbeat = 50 * time.Millisecond
	cfg.DrainTimeout = 300 * time.Millisecond
	h := startHarness(t, cfg, scriptFactory(30, 0))
	resp := h.create(RoomSpec{MatchID: "m_drain", Mode: ModeBattle1v1, Seats: seatSpecs(2, 2)})
	clients := joinAll(t, h, resp, "kcp")
	waitFor(t, "a heartbeat with the room", func() bool {
		hb, _ := lastBeat()
		return hb.Rooms == 1 && hb.Players == 2 && !hb.Draining
	})
	hb, _ := lastBeat()
	if hb.ServerID != "room-test" || hb.KCPAddr != h.srv.PublicKCPAddr() || hb.WSURL != h.srv.PublicWSURL() ||
		hb.ControlURL != h.srv.PublicControlURL() || hb.MaxRooms != 256 || hb.ContentVersion != "v-test" {
		t.Fatalf("heartbeat %+v", hb)
	}

	done := make(chan error)
	go func() { done <- h.srv.Shutdown() }()
	waitFor(t, "a draining heartbeat", func() bool { hb, _ := lastBeat(); return hb.Draining })
	for _, c := range clients {
		if e := c.waitClosed(t); e == nil || e.Code != netcode.CodeServerDraining {
			t.Fatalf("client got %v, want server_draining", e)
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("shutdown did not finish")
	}
	recs := h.sink.Records()
	if len(recs) != 1 || recs[0].Outcome != persistence.OutcomeAborted || recs[0].MatchID != "m_drain" {
		t.Fatalf("records after drain: %d", len(recs))
	}
	_, n := lastBeat()
	time.Sleep(0) // the heartbeat goroutine has exited (Shutdown waited for it)
	if _, m := lastBeat(); m != n {
		t.Fatal("heartbeats after shutdown")
	}
}
