package transport

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pantheon-oracles/pantheon/netcode"
)

// memRun sends n numbered frames client-to-server over a link and returns
// the numbers the server read before a quiet period. Run it inside a
// synctest bubble: the link's delays, the hello resends and the quiet
// period all run on the bubble's fake clock, so a seed always gives the
// same frames in the same order, however loaded the machine is (the link
// draws its decisions per frame, so the number of hellos sent before
// admission must not depend on real time either).
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
	// it, as a client does, until the listener has admitted it. Each try
	// waits out the link's longest delay on the fake clock, then for the
	// gate to have read what arrived.
	for try := 1; l.Stats().Admitted == 0; try++ {
		if try > 100 {
			t.Fatalf("seed %d: hello never got through in %d tries", link.Seed, try-1)
		}
		_ = c.WriteFrame(hello())
		time.Sleep(2*(link.Latency+link.Jitter) + time.Millisecond)
		synctest.Wait()
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

// binomialBand is the range a count of successes in n trials of
// probability p falls in except with odds of about one in a million: the
// mean within 5 standard deviations. Each seed gives one fixed count, so
// a seed that passes passes every run; the band only says the link's
// rates are what it was configured with.
func binomialBand(n int, p float64) (lo, hi int) {
	mean := float64(n) * p
	sd := math.Sqrt(float64(n) * p * (1 - p))
	return int(math.Floor(mean - 5*sd)), int(math.Ceil(mean + 5*sd))
}

// TestMemLinkImpairments: the in-memory link drops, duplicates and
// reorders at the configured rates, and the same seed gives the same
// delivery, order included, on the fake clock.
func TestMemLinkImpairments(t *testing.T) {
	const n = 2000
	for _, seed := range []uint64{1, 7, 42, 2026} {
		t.Run(fmt.Sprintf("loss/seed=%d", seed), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				link := LinkConfig{Loss: 0.2, Seed: seed}
				lossy := memRun(t, link, n)
				lo, hi := binomialBand(n, 1-link.Loss)
				if len(lossy) < lo || len(lossy) > hi {
					t.Fatalf("seed %d: %v loss delivered %d of %d frames, want %d to %d", seed, link.Loss, len(lossy), n, lo, hi)
				}
				if !slices.IsSorted(lossy) {
					t.Fatalf("seed %d: a link without latency reordered frames: %v", seed, firstInversion(lossy))
				}
				if again := memRun(t, link, n); !slices.Equal(again, lossy) {
					t.Fatalf("seed %d: same seed, different delivery: %d then %d frames, first difference %s", seed, len(lossy), len(again), firstDiff(lossy, again))
				}
			})
		})
		t.Run(fmt.Sprintf("duplicate/seed=%d", seed), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				link := LinkConfig{Duplicate: 0.25, Seed: seed}
				dup := memRun(t, link, n)
				lo, hi := binomialBand(n, link.Duplicate)
				if extra := len(dup) - n; extra < lo || extra > hi {
					t.Fatalf("seed %d: duplicate %v delivered %d frames for %d sent (%d extra), want %d to %d extra", seed, link.Duplicate, len(dup), n, extra, lo, hi)
				}
				if got := slices.Compact(slices.Clone(dup)); len(got) != n || got[0] != 1 || got[n-1] != n {
					t.Fatalf("seed %d: duplicate lost or invented frames: %d distinct, want %d", seed, len(got), n)
				}
			})
		})
	}
	t.Run("duplicate=1", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			if dup := memRun(t, LinkConfig{Duplicate: 1, Seed: 1}, 100); len(dup) != 200 {
				t.Fatalf("seed 1: duplicate=1 delivered %d of 200", len(dup))
			}
		})
	})
	t.Run("reorder", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			link := LinkConfig{Reorder: 0.3, Latency: time.Millisecond, Jitter: time.Millisecond, Seed: 3}
			re := memRun(t, link, 300)
			if len(re) != 300 || slices.IsSorted(re) {
				t.Fatalf("seed 3: reorder delivered %d of 300 frames, sorted=%v", len(re), slices.IsSorted(re))
			}
			if again := memRun(t, link, 300); !slices.Equal(again, re) {
				t.Fatalf("seed 3: same seed, different delivery: first difference %s", firstDiff(re, again))
			}
			slices.Sort(re)
			for i, v := range re {
				if v != uint32(i+1) {
					t.Fatalf("seed 3: reorder lost or invented frame %d (got %d at position %d)", i+1, v, i)
				}
			}
		})
	})
}

// firstInversion describes the first frame delivered before a lower one.
func firstInversion(xs []uint32) string {
	for i := 1; i < len(xs); i++ {
		if xs[i] < xs[i-1] {
			return fmt.Sprintf("frame %d after %d at position %d", xs[i], xs[i-1], i)
		}
	}
	return "none"
}

// firstDiff describes where two deliveries part.
func firstDiff(a, b []uint32) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("position %d: frame %d vs %d", i, a[i], b[i])
		}
	}
	if len(a) != len(b) {
		return fmt.Sprintf("position %d: one delivery ends (%d vs %d frames)", min(len(a), len(b)), len(a), len(b))
	}
	return "none"
}
