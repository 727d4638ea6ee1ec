package server

import (
	"testing"
	"time"
)

func TestTickBucketsCoverTheirRange(t *testing.T) {
	for _, d := range []time.Duration{0, 1, 7, 8, 9, 15, 16, 100, 999, time.Microsecond, 1234567, time.Millisecond, 2 * time.Second, time.Hour} {
		i := tickBucket(d)
		if up := tickBucketUpper(i); d > up {
			t.Fatalf("%v in bucket %d whose upper bound is %v", d, i, up)
		}
		if i > 0 {
			if low := tickBucketUpper(i - 1); d <= low {
				t.Fatalf("%v in bucket %d but previous bucket ends at %v", d, i, low)
			}
		}
		if up := tickBucketUpper(i); d >= 16 && float64(up-d) > float64(d)*0.125 {
			t.Fatalf("%v: bucket upper %v more than 12.5%% above", d, up)
		}
	}
}

func TestTickQuantile(t *testing.T) {
	var h tickHist
	for i := 0; i < 990; i++ {
		h.observe(100 * time.Microsecond)
	}
	for i := 0; i < 10; i++ {
		h.observe(5 * time.Millisecond)
	}
	var c [tickBuckets]uint64
	h.drain(&c)
	p50, p99, p999 := quantile(&c, 0.5), quantile(&c, 0.99), quantile(&c, 0.999)
	if p50 < 100*time.Microsecond || p50 > 113*time.Microsecond {
		t.Fatalf("p50 %v", p50)
	}
	if p99 != p50 {
		t.Fatalf("p99 %v, want the 100us bucket", p99)
	}
	if p999 < 5*time.Millisecond || p999 > 5700*time.Microsecond {
		t.Fatalf("p99.9 %v", p999)
	}
	var again [tickBuckets]uint64
	h.drain(&again)
	if quantile(&again, 0.99) != 0 {
		t.Fatal("drain did not reset")
	}
}
