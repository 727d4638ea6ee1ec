package transport

import (
	"slices"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/netcode"
)

// memRun sends n numbered frames client-to-server over a link and returns
// the numbers the server read before a quiet period.
func memRun(t *testing.T, link LinkConfig, n int) []uint32 {
	t.Helper()
	mn, err := NewMemNetwork(link)
	if err != nil {
		t.Fatal(err)
	}
	srv := ServerConfig()
	srv.IdleTimeout = 200 * time.Millisecond
	l, err := mn.Listen("x", srv)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := mn.Dialer("x", ClientConfig()).Dial(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The hello must get through for the gate to admit the session: resend
	// it, as a client does, until the listener has admitted it.
	deadline := time.Now().Add(5 * time.Second)
	for l.Stats().Admitted == 0 {
		if time.Now().After(deadline) {
			t.Fatal("hello never got through")
		}
		_ = c.WriteFrame(hello())
		time.Sleep(time.Millisecond)
	}
	s, err := l.Accept(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range n {
		if err := c.WriteFrame(netcode.AppendAck(nil, uint32(i+1))); err != nil {
			t.Fatal(err)
		}
	}
	var got []uint32
	for {
		p, err := s.ReadFrame()
		if err != nil {
			return got
		}
		if k, _ := netcode.PeekKind(p); k != netcode.KindAck {
			continue // a duplicated hello
		}
		tick, err := netcode.DecodeAck(p)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, tick)
	}
}

// TestMemLinkImpairments: the in-memory link drops, duplicates and
// reorders at the configured rates, and the same seed gives the same
// delivery on a link without timing effects.
func TestMemLinkImpairments(t *testing.T) {
	const n = 2000
	lossy := memRun(t, LinkConfig{Loss: 0.2, Seed: 7}, n)
	if len(lossy) < n*70/100 || len(lossy) > n*90/100 {
		t.Fatalf("20%% loss delivered %d of %d", len(lossy), n)
	}
	if !slices.IsSorted(lossy) {
		t.Fatal("a link without latency reordered frames")
	}
	if again := memRun(t, LinkConfig{Loss: 0.2, Seed: 7}, n); !slices.Equal(again, lossy) {
		t.Fatal("same seed, different losses")
	}
	dup := memRun(t, LinkConfig{Duplicate: 1, Seed: 1}, 100)
	if len(dup) != 200 {
		t.Fatalf("duplicate=1 delivered %d of 200", len(dup))
	}
	re := memRun(t, LinkConfig{Reorder: 0.3, Latency: time.Millisecond, Jitter: time.Millisecond, Seed: 3}, 300)
	if len(re) != 300 || slices.IsSorted(re) {
		t.Fatalf("reorder: %d frames, sorted=%v", len(re), slices.IsSorted(re))
	}
	slices.Sort(re)
	for i, v := range re {
		if v != uint32(i+1) {
			t.Fatalf("reorder lost or invented frame %d", i+1)
		}
	}
}
