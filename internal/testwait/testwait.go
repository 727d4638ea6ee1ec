package testwait

import (
	"runtime"
	"testing"
	"time"
)

// For calls cond until it holds, every interval (0: yielding the processor
// between tries, for goroutines a tick behind), failing t once within has
// passed with "timed out after <within> waiting for <what>", followed by
// status() when status is not nil. cond may fail the test itself.
func For(t testing.TB, within, every time.Duration, what string, cond func() bool, status func() string) {
	t.Helper()
	if err := Until(within, every, cond); err != nil {
		if status != nil {
			t.Fatalf("timed out after %v waiting for %s: %s", within, what, status())
		}
		t.Fatalf("timed out after %v waiting for %s", within, what)
	}
}

// ErrTimeout is Until's error when the condition did not come in time.
var ErrTimeout = timeoutError{}

type timeoutError struct{}

func (timeoutError) Error() string { return "testwait: timed out" }

// Until is For for code that cannot fail a test itself (a goroutine other
// than the test's): it returns ErrTimeout once within has passed.
func Until(within, every time.Duration, cond func() bool) error {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return ErrTimeout
		}
		if every == 0 {
			runtime.Gosched()
		} else {
			time.Sleep(every)
		}
	}
	return nil
}
