package transport

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/internal/testwait"
	"github.com/xtaci/kcp-go/v5"
)

// TestMain starts kcp-go's process-wide goroutines (its timer scheduler
// and post-processing workers live for the whole process) before any test
// counts goroutines.
func TestMain(m *testing.M) {
	l, err := kcp.ListenWithOptions("127.0.0.1:0", nil, 0, 0)
	if err == nil {
		s, err := kcp.DialWithOptions(l.Addr().String(), nil, 0, 0)
		if err == nil {
			_, _ = s.Write([]byte("warm"))
			_ = l.SetDeadline(time.Now().Add(time.Second))
			if c, err := l.AcceptKCP(); err == nil {
				c.Close()
			}
			s.Close()
		}
		l.Close()
	}
	os.Exit(m.Run())
}

// waitGoroutines polls until the goroutine count is back to at most want.
func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines: %d, want <= %d\n%s", runtime.NumGoroutine(), want, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	testwait.For(t, d, 2*time.Millisecond, what, cond, nil)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
