package bench

import (
	"math"
	"sync"
	"time"
)

// histogram buckets: bucket 0 holds values under histBase; bucket i >= 1
// holds [histBase*histGrowth^(i-1), histBase*histGrowth^i). With 2% growth
// from 1 µs, 1,100 buckets reach past 40 minutes and a quantile read from a
// bucket's geometric middle is within 1% of the true sample.
const (
	histBase    = float64(time.Microsecond)
	histGrowth  = 1.02
	histBuckets = 1100
)

var logGrowth = math.Log(histGrowth)

// hist is a log-bucketed histogram of durations: constant memory
// (4.4 KiB) however many samples, quantiles within 1%, and exact count,
// sum, min and max. The zero value is empty and ready.
type hist struct {
	counts   [histBuckets]uint32
	n        uint64
	sum      time.Duration
	min, max time.Duration
}

func bucketOf(d time.Duration) int {
	if float64(d) < histBase {
		return 0
	}
	i := int(math.Log(float64(d)/histBase)/logGrowth) + 1
	return min(i, histBuckets-1)
}

// bucketMid is a representative value of bucket i (its geometric middle).
func bucketMid(i int) time.Duration {
	if i == 0 {
		return time.Duration(histBase / 2)
	}
	lo := histBase * math.Pow(histGrowth, float64(i-1))
	return time.Duration(lo * math.Sqrt(histGrowth))
}

func (h *hist) add(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(d)]++
	if h.n == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.n++
	h.sum += d
}

// merge adds o's samples to h.
func (h *hist) merge(o *hist) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
	h.sum += o.sum
}

// quantile returns the nearest-rank q-quantile, clamped to [min, max].
func (h *hist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = max(1, min(rank, h.n))
	var seen uint64
	for i, c := range h.counts {
		seen += uint64(c)
		if seen >= rank {
			return max(h.min, min(h.max, bucketMid(i)))
		}
	}
	return h.max
}

// latency summarises h.
func (h *hist) latency() Latency {
	if h.n == 0 {
		return Latency{}
	}
	return Latency{Count: int(h.n), P50: h.quantile(0.50), P95: h.quantile(0.95), P99: h.quantile(0.99),
		Max: h.max, Mean: h.sum / time.Duration(h.n)}
}

// buckets returns the non-empty buckets as (lower bound in ms, count)
// pairs for the report's histogram charts.
func (h *hist) buckets() []HistBucket {
	var out []HistBucket
	for i, c := range h.counts {
		if c == 0 {
			continue
		}
		lo := 0.0
		if i > 0 {
			lo = histBase * math.Pow(histGrowth, float64(i-1))
		}
		out = append(out, HistBucket{LowMs: lo / 1e6, Count: int(c)})
	}
	return out
}

// HistBucket is one histogram bucket: the samples at or above LowMs and
// below the next bucket's LowMs.
type HistBucket struct {
	LowMs float64 `json:"low_ms"`
	Count int     `json:"count"`
}

// liveHist is a hist safe for concurrent use that also keeps the samples
// of the current time-series window (since the last roll).
type liveHist struct {
	mu     sync.Mutex
	all    hist
	window hist
}

func (l *liveHist) add(d time.Duration) {
	l.mu.Lock()
	l.all.add(d)
	l.window.add(d)
	l.mu.Unlock()
}

// roll adds the window's samples to w and to total, then empties the
// window.
func (l *liveHist) roll(w, total *hist) {
	l.mu.Lock()
	w.merge(&l.window)
	total.merge(&l.all)
	l.window = hist{}
	l.mu.Unlock()
}

// snapshot adds every sample so far to total.
func (l *liveHist) snapshot(total *hist) {
	l.mu.Lock()
	total.merge(&l.all)
	l.mu.Unlock()
}
