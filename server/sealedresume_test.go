package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/pantheon-oracles/pantheon/netcode/client"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
)

// TestClientResumesSealedKCP: a netcode/client player on sealed KCP with
// its seat's key drops twice and resumes each time over sealed KCP with
// the key of its last welcome (transport.KeyedDialer), never with a spent
// one, and keeps playing; the second drop is a rate_limited close, whose
// stated back-off the client waits before it resumes.
func TestClientResumesSealedKCP(t *testing.T) {
	cfg := testConfig()
	cfg.KCPKey = bytes.Repeat([]byte{0x3c}, 32)
	cfg.RateLimitBackoff = 300 * time.Millisecond
	h := startHarness(t, cfg, scriptFactory(30, 0))
	resp := h.create(battleSpec("m_sealed_resume"))
	key := func(i int) []byte {
		k, err := base64.StdEncoding.DecodeString(resp.Seats[i].KCPKey)
		if err != nil || len(k) != 32 {
			t.Fatalf("seat %d kcp_key %q: %v", i, resp.Seats[i].KCPKey, err)
		}
		return k
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitDeadline)
	defer cancel()
	d := h.keyDialer("kcp", key(0))
	if _, ok := d.(transport.KeyedDialer); !ok {
		t.Fatalf("%T is not a transport.KeyedDialer", d)
	}
	ccfg := client.DefaultConfig(resp.Seats[0].Ticket)
	ccfg.ResumeDialers = []transport.Dialer{d} // the client re-keys it with each welcome's resume key
	a, err := client.Connect(ctx, d, ccfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := client.Connect(ctx, h.keyDialer("kcp", key(1)), client.DefaultConfig(resp.Seats[1].Ticket))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	self := a.Welcome().EntityID // scriptEngine: seat 0's entity
	x := func() int32 {
		var snap netcode.Snapshot
		a.World(&snap)
		if e := snap.Find(self); e != nil {
			return e.Fields[netcode.FieldX]
		}
		return 0
	}
	// walk sends one input per new snapshot until the entity moved 100
	// more (scriptEngine adds MoveX per input).
	walk := func(what string) {
		t.Helper()
		x0 := x()
		var sentAt uint32
		waitFor(t, what, func() bool {
			var snap netcode.Snapshot
			if tick := a.World(&snap); tick != sentAt {
				sentAt = tick
				if _, err := a.SendInput(netcode.Input{MoveX: 10, CastSlot: -1}); err != nil {
					t.Fatalf("input: %v", err)
				}
			}
			return x() >= x0+100
		})
	}
	walk("walking over sealed KCP")
	r, _ := h.srv.reg.get(resp.RoomID)
	seat0 := func() *conn {
		var c *conn
		waitFor(t, "seat 0's connection", func() bool { c = r.seatConn(0); return c != nil && !c.isClosed() })
		return c
	}
	keys := [][]byte{key(0), a.Welcome().ResumeKey}

	// Drop 1: the server cuts the session with a resumable code.
	seat0().closeCode(netcode.CodeSlowConsumer, "test: cut the sealed KCP session")
	waitFor(t, "first resume", func() bool { return a.Stats().Resumes == 1 })
	keys = append(keys, a.Welcome().ResumeKey)
	if c := seat0(); c.transport != "kcp" {
		t.Fatalf("resumed over %s, want kcp", c.transport)
	}
	walk("walking after the first resume")

	// Drop 2: a rate_limited close, with the server's back-off.
	closedAt := time.Now()
	h.srv.closeFlood(seat0(), r)
	waitFor(t, "second resume", func() bool { return a.Stats().Resumes == 2 })
	if waited := time.Since(closedAt); waited < cfg.RateLimitBackoff {
		t.Fatalf("resumed %v after a rate_limited close that stated %v", waited, cfg.RateLimitBackoff)
	}
	if st := a.Stats(); st.BackedOff != cfg.RateLimitBackoff {
		t.Fatalf("client backed off %v, want %v", st.BackedOff, cfg.RateLimitBackoff)
	}
	keys = append(keys, a.Welcome().ResumeKey)
	walk("walking after the second resume")

	for i := range keys {
		for j := range i {
			if len(keys[i]) != 32 || bytes.Equal(keys[i], keys[j]) {
				t.Fatalf("keys %d and %d of the seat's connections: %x, %x: want a fresh one each time", j, i, keys[j], keys[i])
			}
		}
	}
	// Each resume sealed with the newest welcome's key: the server never
	// saw a datagram under a key it did not hold (a spent one).
	if n := h.srv.metricValue("pantheon_room_kcp_sealed_dropped_total", "unknown_key"); n != 0 {
		t.Fatalf("%v datagrams dropped for an unknown key: a resume used a spent key", n)
	}
	if n := r.players.Load(); n != 2 {
		t.Fatalf("players %d, want 2", n)
	}
	if err := b.Err(); err != nil {
		t.Fatalf("the other player: %v", err)
	}
}
