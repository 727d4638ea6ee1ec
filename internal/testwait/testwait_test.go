package testwait

import (
	"errors"
	"testing"
	"time"
)

func TestUntil(t *testing.T) {
	n := 0
	if err := Until(time.Minute, 0, func() bool { n++; return n == 3 }); err != nil || n != 3 {
		t.Fatalf("Until: %v after %d tries, want nil after 3", err, n)
	}
	if err := Until(time.Millisecond, time.Millisecond, func() bool { return false }); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Until on a condition that never holds: %v, want ErrTimeout", err)
	}
}
