package match

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// BenchmarkMatchmaker measures one pass over a queue of n tickets (target:
// 10,000 tickets under 50 ms).
func BenchmarkMatchmaker(b *testing.B) {
	p := DefaultPolicy()
	for _, id := range []string{Battle1v1, Battle3v3, Battle5v5, Raid, Ritual} {
		mode, _ := contentModes().Lookup(id)
		for _, n := range []int{1_000, 10_000} {
			in := genTickets(rand.New(rand.NewPCG(1, uint64(n))), mode, n, t0)
			b.Run(fmt.Sprintf("mode=%s/tickets=%d", id, n), func(b *testing.B) {
				b.ReportAllocs()
				matches := 0
				for b.Loop() {
					matches = len(Process(mode, p, in, t0).Matches)
				}
				b.ReportMetric(float64(matches), "matches")
			})
		}
	}
}
