package proccpu

import "testing"

// TestTimeAdvances: CPU time is positive and does not go backwards across
// some work (no wall-clock assertion: only the order of two readings).
func TestTimeAdvances(t *testing.T) {
	before := Time()
	x := 0
	for i := range 50_000_000 {
		x ^= i * i
	}
	after := Time()
	if after <= 0 || after < before {
		t.Fatalf("CPU time %v then %v (x=%d)", before, after, x)
	}
}
