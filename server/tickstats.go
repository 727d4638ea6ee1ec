package server

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// tickHist is a lock-free log-linear histogram of tick durations (8 sub-
// buckets per power of two, so a quantile is within 12.5%). Shards observe
// into it; the heartbeat and benchmarks read and reset it.
type tickHist struct {
	b [tickBuckets]atomic.Uint64
}

const tickBuckets = 64 * 8

// tickBucket maps a duration to its bucket.
func tickBucket(d time.Duration) int {
	v := uint64(max(d, 0))
	if v < 8 {
		return int(v)
	}
	e := bits.Len64(v) // v in [2^(e-1), 2^e)
	sub := (v >> (e - 4)) & 7
	return (e-3)*8 + int(sub)
}

// tickBucketUpper is the largest duration in bucket i.
func tickBucketUpper(i int) time.Duration {
	if i < 8 {
		return time.Duration(i)
	}
	e := i/8 + 3
	sub := uint64(i % 8)
	lo := uint64(1)<<(e-1) | sub<<(e-4)
	return time.Duration(lo + uint64(1)<<(e-4) - 1)
}

func (h *tickHist) observe(d time.Duration) { h.b[tickBucket(d)].Add(1) }

// drain adds h's counts to dst and resets h.
func (h *tickHist) drain(dst *[tickBuckets]uint64) {
	for i := range h.b {
		if n := h.b[i].Swap(0); n != 0 {
			dst[i] += n
		}
	}
}

// quantile returns the upper bound of the bucket holding quantile q (0..1)
// of counts, and 0 for an empty histogram.
func quantile(counts *[tickBuckets]uint64, q float64) time.Duration {
	var total uint64
	for _, n := range counts {
		total += n
	}
	if total == 0 {
		return 0
	}
	rank := uint64(q*float64(total) + 0.5)
	rank = max(rank, 1)
	var seen uint64
	for i, n := range counts {
		seen += n
		if seen >= rank {
			return tickBucketUpper(i)
		}
	}
	return tickBucketUpper(tickBuckets - 1)
}
