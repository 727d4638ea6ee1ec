package bench

import (
	"fmt"
	"slices"
	"time"
)

// Latency summarises a set of durations. Quantiles are nearest-rank over
// every sample (the bench keeps at most Config.Clients samples per phase).
type Latency struct {
	Count int           `json:"count"`
	P50   time.Duration `json:"p50_ns"`
	P95   time.Duration `json:"p95_ns"`
	P99   time.Duration `json:"p99_ns"`
	Max   time.Duration `json:"max_ns"`
}

// summarize sorts samples in place and returns their summary.
func summarize(samples []time.Duration) Latency {
	if len(samples) == 0 {
		return Latency{}
	}
	slices.Sort(samples)
	rank := func(q float64) time.Duration {
		i := int(q*float64(len(samples))+0.999999) - 1 // nearest rank, 1-based
		return samples[max(0, min(i, len(samples)-1))]
	}
	return Latency{Count: len(samples), P50: rank(0.50), P95: rank(0.95), P99: rank(0.99), Max: samples[len(samples)-1]}
}

// String renders l on one line for the text report.
func (l Latency) String() string {
	if l.Count == 0 {
		return "no samples"
	}
	r := func(d time.Duration) time.Duration {
		if d < time.Millisecond {
			return d.Round(time.Microsecond)
		}
		return d.Round(100 * time.Microsecond)
	}
	return fmt.Sprintf("p50 %v  p95 %v  p99 %v  max %v  (%d samples)", r(l.P50), r(l.P95), r(l.P99), r(l.Max), l.Count)
}
