package outage_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/internal/outage"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// logLines returns the non-empty lines written so far.
func logLines(b *bytes.Buffer) []string {
	var out []string
	for _, l := range strings.Split(b.String(), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// TestOneLinePerChange: a thousand failures log one line, the recovery one
// more with the outage's duration and the failure count; a second outage
// starts afresh.
func TestOneLinePerChange(t *testing.T) {
	var buf bytes.Buffer
	clk := &fakeClock{t: time.Unix(1000, 0)}
	var changes []bool
	fails := 0
	tr := outage.New(outage.Config{Name: "database", Log: slog.New(slog.NewTextHandler(&buf, nil)), Now: clk.Now,
		OnChange: func(up bool) { changes = append(changes, up) },
		OnFail:   func(error) { fails++ }})

	if rec, _ := tr.OK(); rec {
		t.Fatal("OK on a healthy dependency reported a recovery")
	}
	if len(logLines(&buf)) != 0 {
		t.Fatalf("logged while healthy: %q", buf.String())
	}
	for i := range 1000 {
		went := tr.Fail(fmt.Errorf("connection refused %d", i))
		if went != (i == 0) {
			t.Fatalf("failure %d: wentDown %v", i, went)
		}
		clk.Add(time.Millisecond)
	}
	if down, since := tr.Down(); !down || !since.Equal(time.Unix(1000, 0)) {
		t.Fatalf("Down() = %v, %v", down, since)
	}
	lines := logLines(&buf)
	if len(lines) != 1 || !strings.Contains(lines[0], "dependency down") || !strings.Contains(lines[0], "dependency=database") ||
		!strings.Contains(lines[0], "connection refused 0") {
		t.Fatalf("after 1000 failures the log is %q, want one down line with the first error", lines)
	}
	rec, d := tr.OK()
	if !rec || d != time.Second {
		t.Fatalf("OK() = %v, %v; want a recovery after 1s", rec, d)
	}
	tr.OK()
	lines = logLines(&buf)
	if len(lines) != 2 || !strings.Contains(lines[1], "dependency recovered") || !strings.Contains(lines[1], "outage=1s") ||
		!strings.Contains(lines[1], "failures=1000") {
		t.Fatalf("after recovery the log is %q", lines)
	}
	if fails != 1000 || len(changes) != 2 || changes[0] || !changes[1] {
		t.Fatalf("OnFail called %d times, OnChange %v", fails, changes)
	}

	// A second outage is logged (and counted) on its own.
	tr.Fail(errors.New("again"))
	clk.Add(3 * time.Second)
	if rec, d := tr.OK(); !rec || d != 3*time.Second {
		t.Fatalf("second outage: %v %v", rec, d)
	}
	lines = logLines(&buf)
	if len(lines) != 4 || !strings.Contains(lines[3], "failures=1") {
		t.Fatalf("second outage logged %q", lines[2:])
	}
}

// TestConcurrent: many goroutines failing and succeeding at once (under
// -race) see state changes strictly alternate, so the log never holds two
// down lines in a row.
func TestConcurrent(t *testing.T) {
	var mu sync.Mutex
	var changes []bool
	tr := outage.New(outage.Config{Name: "state_store", OnChange: func(up bool) {
		mu.Lock()
		defer mu.Unlock()
		changes = append(changes, up)
	}})
	var wg sync.WaitGroup
	var downs, ups sync.Map
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				if (g+i)%3 == 0 {
					if rec, _ := tr.OK(); rec {
						ups.Store(fmt.Sprint(g, i), true)
					}
				} else if tr.Fail(errors.New("x")) {
					downs.Store(fmt.Sprint(g, i), true)
				}
			}
		})
	}
	wg.Wait()
	for i, up := range changes {
		if up != (i%2 == 1) {
			t.Fatalf("change %d is up=%v: changes do not alternate", i, up)
		}
	}
	nd, nu := 0, 0
	downs.Range(func(any, any) bool { nd++; return true })
	ups.Range(func(any, any) bool { nu++; return true })
	if nd+nu != len(changes) {
		t.Fatalf("%d down and %d up reported, %d changes", nd, nu, len(changes))
	}
}
