package bench

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Latency summarises a set of durations: nearest-rank quantiles, the
// largest sample and the mean. In JSON every duration is in milliseconds
// (p50_ms, ...).
type Latency struct {
	Count int
	P50   time.Duration
	P95   time.Duration
	P99   time.Duration
	Max   time.Duration
	Mean  time.Duration
}

// latencyJSON is Latency's wire form.
type latencyJSON struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P95   float64 `json:"p95_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
	Mean  float64 `json:"mean_ms"`
}

// MarshalJSON writes l with durations in milliseconds.
func (l Latency) MarshalJSON() ([]byte, error) {
	return json.Marshal(latencyJSON{l.Count, ms(l.P50), ms(l.P95), ms(l.P99), ms(l.Max), ms(l.Mean)})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (l *Latency) UnmarshalJSON(b []byte) error {
	var j latencyJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*l = Latency{j.Count, fromMs(j.P50), fromMs(j.P95), fromMs(j.P99), fromMs(j.Max), fromMs(j.Mean)}
	return nil
}

// ms converts d to fractional milliseconds (the unit of every duration in
// the JSON report).
func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func fromMs(v float64) time.Duration { return time.Duration(v * 1e6) }

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
	var sum time.Duration
	for _, s := range samples {
		sum += s
	}
	return Latency{Count: len(samples), P50: rank(0.50), P95: rank(0.95), P99: rank(0.99), Max: samples[len(samples)-1],
		Mean: sum / time.Duration(len(samples))}
}

// String renders l on one line for the text report.
func (l Latency) String() string {
	if l.Count == 0 {
		return "no samples"
	}
	return fmt.Sprintf("p50 %v  p95 %v  p99 %v  max %v  (%d samples)", round(l.P50), round(l.P95), round(l.P99), round(l.Max), l.Count)
}

// round shortens d for people: µs under a millisecond, 0.1 ms above.
func round(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return d.Round(time.Microsecond)
	}
	return d.Round(100 * time.Microsecond)
}
