package server

import (
	"bytes"
	"encoding/base64"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/netcode"
)

// TestKCPPerSeatKeysRoom: with a master key, the control API hands every
// seat its own KCP key; a seat joins over sealed KCP with its key only (a
// session sealed with another seat's key is refused even with a valid
// ticket), and its welcome carries a fresh resume key that the resume
// must use: the join key no longer opens a session once it was used.
func TestKCPPerSeatKeysRoom(t *testing.T) {
	cfg := testConfig()
	cfg.KCPKey = bytes.Repeat([]byte{0x5a}, 32)
	h := startHarness(t, cfg, scriptFactory(30, 0))
	resp := h.create(battleSpec("m_keys"))
	keys := make([][]byte, len(resp.Seats))
	for i, st := range resp.Seats {
		k, err := base64.StdEncoding.DecodeString(st.KCPKey)
		if err != nil || len(k) != 32 || bytes.Equal(k, cfg.KCPKey) {
			t.Fatalf("seat %d kcp_key %q (%v): want its own 32-byte key", st.Seat, st.KCPKey, err)
		}
		keys[i] = k
	}
	if bytes.Equal(keys[0], keys[1]) {
		t.Fatal("both seats got the same KCP key")
	}
	// Seat 1's ticket in a session sealed with seat 0's key: refused.
	thief := dialRaw(t, h.keyDialer("kcp", keys[0]))
	thief.hello(netcode.Hello{Ticket: resp.Seats[1].Ticket})
	if e := thief.waitClosed(t); e == nil || e.Code != netcode.CodeBadTicket {
		t.Fatalf("seat 1's ticket sealed with seat 0's key: closed with %v, want bad_ticket", e)
	}
	rc := dialRaw(t, h.keyDialer("kcp", keys[0]))
	rc.hello(netcode.Hello{Ticket: resp.Seats[0].Ticket})
	w := rc.waitWelcome(t)
	if len(w.ResumeKey) != 32 || bytes.Equal(w.ResumeKey, keys[0]) || bytes.Equal(w.ResumeKey, keys[1]) {
		t.Fatalf("welcome resume_key %x: want a fresh 32-byte key", w.ResumeKey)
	}
	rc.c.Close()
	<-rc.done
	resume := netcode.Hello{Ticket: resp.Seats[0].Ticket, ResumeToken: w.ResumeToken}
	// The join key is spent: a resume sealed with it opens no session.
	stale := dialRaw(t, h.keyDialer("kcp", keys[0]))
	stale.hello(resume)
	time.Sleep(500 * time.Millisecond) // an absence: a slower machine only makes it likelier to hold
	if _, ok, _, _, e, _ := stale.state(); ok || e != nil {
		t.Fatalf("a resume sealed with the spent join key was answered: welcomed=%v err=%v", ok, e)
	}
	if n := h.srv.metricValue("pantheon_room_kcp_sealed_dropped_total", "unknown_key"); n < 1 {
		t.Fatalf("kcp_sealed_dropped_total{reason=unknown_key} = %v after the stale resume, want >= 1", n)
	}
	again := dialRaw(t, h.keyDialer("kcp", w.ResumeKey))
	again.hello(resume)
	w2 := again.waitWelcome(t)
	if len(w2.ResumeKey) != 32 || bytes.Equal(w2.ResumeKey, w.ResumeKey) {
		t.Fatalf("second welcome resume_key %x: want another fresh key", w2.ResumeKey)
	}
}
