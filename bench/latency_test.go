package bench

import (
	"testing"
	"time"
)

func TestSummarizeNearestRank(t *testing.T) {
	var samples []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		samples = append(samples, time.Duration(i)*time.Millisecond)
	}
	l := summarize(samples)
	want := Latency{Count: 100, P50: 50 * time.Millisecond, P95: 95 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond, Mean: 50500 * time.Microsecond}
	if l != want {
		t.Fatalf("got %+v, want %+v", l, want)
	}
	if one := summarize([]time.Duration{7}); one.P50 != 7 || one.P99 != 7 || one.Max != 7 || one.Count != 1 || one.Mean != 7 {
		t.Fatalf("one sample: %+v", one)
	}
	if none := summarize(nil); none != (Latency{}) || none.String() != "no samples" {
		t.Fatalf("no samples: %+v %q", none, none.String())
	}
}
