package server

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/bot"
	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/pantheon-oracles/pantheon/netcode/client"
)

// remoteBot plays one seat over the network with netcode's Go client: on
// every snapshot it lets an ecs bot choose an input from the world it sees
// and sends it.
type remoteBot struct {
	c      *client.Client
	latest chan netcode.Snapshot // one slot, latest wins
	stop   chan struct{}
	done   chan struct{}
}

func startRemoteBot(t *testing.T, h *harness, content *content.Bundle, mode string, seat ecs.Seat, ticket, transportName string, seed uint64) *remoteBot {
	t.Helper()
	b, err := bot.New(content, mode, "", seat, seed, 0)
	if err != nil {
		t.Fatal(err)
	}
	rb := &remoteBot{latest: make(chan netcode.Snapshot, 1), stop: make(chan struct{}), done: make(chan struct{})}
	cfg := client.DefaultConfig(ticket)
	cfg.OnSnapshot = func(s *netcode.Snapshot) {
		var cp netcode.Snapshot
		cp.CopyFrom(s)
		select {
		case <-rb.latest:
		default:
		}
		rb.latest <- cp
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rb.c, err = client.Connect(ctx, h.dialer(transportName), cfg)
	if err != nil {
		t.Fatalf("seat %d connect over %s: %v", seat.Seat, transportName, err)
	}
	self := rb.c.Welcome().EntityID
	go func() {
		defer close(rb.done)
		var views []ecs.EntityView
		for {
			select {
			case <-rb.stop:
				return
			case <-rb.c.Done():
				return
			case s := <-rb.latest:
				views = views[:0]
				for _, e := range s.Entities {
					var v ecs.EntityView
					v.ID = e.ID
					copy(v.F[:], e.Fields[:ecs.ViewFields])
					views = append(views, v)
				}
				if in, ok := b.Act(int(s.Tick)+1, self, views); ok {
					if _, err := rb.c.SendInput(WireInput(in)); err != nil {
						return
					}
				}
			}
		}
	}()
	t.Cleanup(func() {
		close(rb.stop)
		rb.c.Close()
		<-rb.done
	})
	return rb
}

// TestEndToEndModes plays a battle, a raid and a ritual to their end with
// clients on real KCP and WebSocket (half each), driven by ecs bots through
// netcode's client, and checks the sink's results and their replays.
func TestEndToEndModes(t *testing.T) {
	bundle, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	// Run the clock at 120 Hz so the matches take seconds, not minutes.
	cfg.TickRates = map[string]int{ModeBattle3v3: 120, ModeRaid: 120, ModeRitual: 120}
	cfg.SlowConsumerTicks = 600
	sink := NewMemorySink()
	s, err := New(cfg, bundle, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, srv: s, sink: sink}
	t.Cleanup(h.shutdown)

	matches := []struct {
		mode    string
		players int
	}{{ModeBattle3v3, 6}, {ModeRaid, 4}, {ModeRitual, 4}}
	var wg sync.WaitGroup
	for i, m := range matches {
		seats, err := bot.Seats(bundle, m.mode, m.players, uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		spec := contract.RoomSpec{MatchID: "m_e2e_" + m.mode, Mode: m.mode, Seed: uint64(1000 + i)}
		spec.Seats = seatsFromBots(seats)
		resp := h.create(spec)
		for j, st := range seats {
			name := "kcp"
			if j%2 == 1 {
				name = "ws"
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				startRemoteBot(t, h, bundle, m.mode, st, resp.Seats[j].Ticket, name, uint64(j+1))
			}()
		}
	}
	wg.Wait()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for _, m := range matches {
		rec, err := sink.Wait(ctx, "m_e2e_"+m.mode)
		if err != nil {
			t.Fatalf("%s: no result: %v", m.mode, err)
		}
		t.Logf("%s: %s after %d ticks, %d rewards, %d codex entries, replay %d bytes",
			m.mode, rec.Outcome, rec.Ticks, len(rec.Rewards), len(rec.Codex), len(rec.Replay))
		checkRecord(t, bundle, rec, m.mode, m.players)
	}
}

// checkRecord checks a finished (not aborted) match record and verifies
// its replay the way `pantheon replay verify` does.
func checkRecord(t *testing.T, content *content.Bundle, rec contract.MatchRecord, mode string, players int) {
	t.Helper()
	if rec.Mode != mode || rec.Outcome == contract.OutcomeAborted || rec.Outcome == "" ||
		len(rec.Participants) != players || rec.ContentVersion != content.Version() || rec.Ticks == 0 {
		t.Fatalf("%s: record %+v", mode, summary(rec))
	}
	r, err := ecs.DecodeReplay(rec.Replay)
	if err != nil {
		t.Fatalf("%s: replay does not decode: %v", mode, err)
	}
	div, err := ecs.VerifyReplay(content, r)
	if err != nil || div != nil {
		t.Fatalf("%s: replay does not verify: %v %v", mode, err, div)
	}
	if len(r.Ticks) != rec.Ticks {
		t.Fatalf("%s: replay has %d ticks, record %d", mode, len(r.Ticks), rec.Ticks)
	}
	if last := r.Ticks[len(r.Ticks)-1].Hash; last != rec.FinalHash {
		t.Fatalf("%s: replay's last hash %x, record's final hash %x", mode, last, rec.FinalHash)
	}
}

func summary(rec contract.MatchRecord) string {
	return fmt.Sprintf("{match %s mode %s outcome %s ticks %d participants %d content %q}",
		rec.MatchID, rec.Mode, rec.Outcome, rec.Ticks, len(rec.Participants), rec.ContentVersion)
}
