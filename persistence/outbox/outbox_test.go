package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/internal/testlog"
	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/pantheon-oracles/pantheon/persistence/internal/storetest"
	"github.com/pantheon-oracles/pantheon/persistence/outbox"
)

// runOutbox starts ob.Run and stops it at cleanup (before ob.Close, which
// the caller's cleanup registered earlier runs after).
func runOutbox(t *testing.T, ob *outbox.Outbox) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ob.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("Run returned %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func openOutbox(t *testing.T, cfg outbox.Config, sink persistence.Results) *outbox.Outbox {
	t.Helper()
	ob, err := outbox.Open(cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ob.Close() })
	return ob
}

// waitDrained polls until the outbox has nothing pending.
func waitDrained(t *testing.T, ob *outbox.Outbox, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		n, _ := ob.Pending()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox still holds %d records after %v", n, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(&testlog.Buffer{}, nil)) }

// twoPlayers makes a store with two players.
func twoPlayers(t *testing.T) (persistence.Store, string, string) {
	s := storetest.OpenSQLite(t)
	return s, storetest.MustPlayer(t, s, "a").ID, storetest.MustPlayer(t, s, "b").ID
}

func TestOutboxDrainsToStore(t *testing.T) {
	s, a, b := twoPlayers(t)
	reg := prometheus.NewRegistry()
	dir := t.TempDir()
	ob := openOutbox(t, outbox.Config{Dir: dir, Registerer: reg, Logger: quietLogger(), SegmentBytes: 2048, BatchRecords: 7}, s)
	runOutbox(t, ob)
	ctx := storetest.Ctx(t)
	const n = 40
	for i := range n {
		if err := ob.Submit(ctx, storetest.Battle(fmt.Sprintf("m%03d", i), a, b)); err != nil {
			t.Fatal(err)
		}
	}
	// A duplicate submission (a retry by the room server) lands once.
	if err := ob.Submit(ctx, storetest.Battle("m000", a, b)); err != nil {
		t.Fatal(err)
	}
	waitDrained(t, ob, 30*time.Second)
	for i := range n {
		if _, err := s.Match(ctx, fmt.Sprintf("m%03d", i)); err != nil {
			t.Fatal(err)
		}
	}
	storetest.MustBalance(t, s, a, "gold", 25*n)
	if got := metricValue(t, reg, "pantheon_outbox_flushed_records_total"); got != n+1 {
		t.Fatalf("flushed metric %v, want %d", got, n+1)
	}
	if got := metricValue(t, reg, "pantheon_outbox_pending_records"); got != 0 {
		t.Fatalf("pending metric %v", got)
	}
	// Flushed segments are deleted: only the active one (and bookkeeping) remain.
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(segs) != 1 {
		t.Fatalf("segments left after drain: %v", segs)
	}
}

// metricValue reads a counter or gauge from reg by name.
func metricValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		m := mf.GetMetric()[0]
		if m.Counter != nil {
			return m.Counter.GetValue()
		}
		return m.Gauge.GetValue()
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}

func TestOutboxResumesAfterRestart(t *testing.T) {
	s, a, b := twoPlayers(t)
	dir := t.TempDir()
	ctx := storetest.Ctx(t)
	ob, err := outbox.Open(outbox.Config{Dir: dir, Logger: quietLogger(), SegmentBytes: 1500}, s)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := ob.Submit(ctx, storetest.Battle(fmt.Sprintf("r%02d", i), a, b)); err != nil {
			t.Fatal(err)
		}
	}
	if err := ob.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ob.Submit(ctx, storetest.Battle("late", a, b)); !errors.Is(err, outbox.ErrClosed) {
		t.Fatalf("submit after close err = %v", err)
	}
	// Tear the tail as a crash mid-write would: a partial frame at the end
	// of the last segment.
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	last := segs[len(segs)-1]
	f, err := os.OpenFile(last, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{200, 0, 0, 0, 1, 2, 3})
	f.Close()

	ob2 := openOutbox(t, outbox.Config{Dir: dir, Logger: quietLogger(), SegmentBytes: 1500}, s)
	if n, _ := ob2.Pending(); n != 20 {
		t.Fatalf("recovered %d pending, want 20", n)
	}
	runOutbox(t, ob2)
	waitDrained(t, ob2, 30*time.Second)
	storetest.MustBalance(t, s, a, "gold", 25*20)
	if err := ob2.Submit(ctx, storetest.Battle("after", a, b)); err != nil {
		t.Fatal(err)
	}
	waitDrained(t, ob2, 30*time.Second)
	if _, err := s.Match(ctx, "after"); err != nil {
		t.Fatal(err)
	}
}

func TestOutboxRecoversAfterAck(t *testing.T) {
	s, a, b := twoPlayers(t)
	dir := t.TempDir()
	ctx := storetest.Ctx(t)
	ob, err := outbox.Open(outbox.Config{Dir: dir, Logger: quietLogger()}, s)
	if err != nil {
		t.Fatal(err)
	}
	stop := runOutbox(t, ob)
	for i := range 5 {
		if err := ob.Submit(ctx, storetest.Battle(fmt.Sprintf("k%d", i), a, b)); err != nil {
			t.Fatal(err)
		}
	}
	waitDrained(t, ob, 30*time.Second)
	stop()
	ob.Close()
	ob2 := openOutbox(t, outbox.Config{Dir: dir, Logger: quietLogger()}, s)
	if n, _ := ob2.Pending(); n != 0 {
		t.Fatalf("flushed records pending again after restart: %d", n)
	}
}

func TestOutboxFull(t *testing.T) {
	s, a, b := twoPlayers(t)
	logs := &testlog.Buffer{}
	reg := prometheus.NewRegistry()
	ob := openOutbox(t, outbox.Config{Dir: t.TempDir(), MaxRecords: 10, NearFull: 0.5, Registerer: reg,
		Logger: slog.New(slog.NewTextHandler(logs, nil))}, s)
	ctx := storetest.Ctx(t)
	for i := range 10 {
		if err := ob.Submit(ctx, storetest.Battle(fmt.Sprintf("f%d", i), a, b)); err != nil {
			t.Fatal(err)
		}
	}
	if err := ob.Submit(ctx, storetest.Battle("f10", a, b)); !errors.Is(err, outbox.ErrFull) {
		t.Fatalf("over the bound err = %v", err)
	}
	if !strings.Contains(logs.String(), "OUTBOX NEAR FULL") || !strings.Contains(logs.String(), "OUTBOX FULL") {
		t.Fatalf("no loud log:\n%s", logs)
	}
	if got := metricValue(t, reg, "pantheon_outbox_rejected_full_total"); got != 1 {
		t.Fatalf("rejected metric %v", got)
	}
	runOutbox(t, ob)
	waitDrained(t, ob, 30*time.Second)
	if err := ob.Submit(ctx, storetest.Battle("f10", a, b)); err != nil {
		t.Fatalf("after draining: %v", err)
	}
	// The byte bound too.
	ob2 := openOutbox(t, outbox.Config{Dir: t.TempDir(), MaxBytes: 600, Logger: quietLogger()}, s)
	var err error
	for i := 0; i < 20 && err == nil; i++ {
		err = ob2.Submit(ctx, storetest.Battle(fmt.Sprintf("g%d", i), a, b))
	}
	if !errors.Is(err, outbox.ErrFull) {
		t.Fatalf("byte bound err = %v", err)
	}
	if _, bytes := ob2.Pending(); bytes > 600 {
		t.Fatalf("pending bytes %d over the 600 bound", bytes)
	}
}

// flakySink fails with ErrUnavailable while down is set, counting calls.
type flakySink struct {
	persistence.Results
	mu    sync.Mutex
	down  bool
	calls int
}

func (f *flakySink) ApplyMatches(ctx context.Context, recs []contract.MatchRecord) (int, error) {
	f.mu.Lock()
	f.calls++
	down := f.down
	f.mu.Unlock()
	if down {
		return 0, fmt.Errorf("dial: %w", persistence.ErrUnavailable)
	}
	return f.Results.ApplyMatches(ctx, recs)
}

func (f *flakySink) setDown(d bool) { f.mu.Lock(); f.down = d; f.mu.Unlock() }
func (f *flakySink) count() int     { f.mu.Lock(); defer f.mu.Unlock(); return f.calls }

func TestOutboxStoreDownBacksOffAndDrains(t *testing.T) {
	s, a, b := twoPlayers(t)
	sink := &flakySink{Results: s, down: true}
	reg := prometheus.NewRegistry()
	ob := openOutbox(t, outbox.Config{Dir: t.TempDir(), MinBackoff: 2 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		Registerer: reg, Logger: quietLogger()}, sink)
	runOutbox(t, ob)
	ctx := storetest.Ctx(t)
	for i := range 10 {
		if err := ob.Submit(ctx, storetest.Battle(fmt.Sprintf("d%d", i), a, b)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for sink.count() < 5 {
		if time.Now().After(deadline) {
			t.Fatal("flusher did not retry")
		}
		time.Sleep(2 * time.Millisecond)
	}
	if n, _ := ob.Pending(); n != 10 {
		t.Fatalf("pending %d while the store is down, want 10", n)
	}
	if got := metricValue(t, reg, "pantheon_outbox_flush_failures_total"); got < 4 {
		t.Fatalf("failure metric %v", got)
	}
	sink.setDown(false)
	waitDrained(t, ob, 30*time.Second)
	storetest.MustBalance(t, s, a, "gold", 250)
}

func TestOutboxDeadLetters(t *testing.T) {
	s, a, b := twoPlayers(t)
	reg := prometheus.NewRegistry()
	ob := openOutbox(t, outbox.Config{Dir: t.TempDir(), Registerer: reg, Logger: quietLogger()}, s)
	ctx := storetest.Ctx(t)
	if err := ob.Submit(ctx, contract.MatchRecord{MatchID: "x", Outcome: "nonsense"}); !errors.Is(err, persistence.ErrInvalid) {
		t.Fatalf("invalid record accepted: %v", err)
	}
	for _, r := range []contract.MatchRecord{storetest.Battle("ok1", a, b), storetest.Battle("ghost", a, "p_unknown"), storetest.Battle("ok2", a, b)} {
		if err := ob.Submit(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	runOutbox(t, ob)
	waitDrained(t, ob, 30*time.Second)
	for _, id := range []string{"ok1", "ok2"} {
		if _, err := s.Match(ctx, id); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	dead, err := ob.DeadLetters()
	if err != nil || len(dead) != 1 || dead[0].MatchID != "ghost" {
		t.Fatalf("dead letters = %+v, %v", dead, err)
	}
	if got := metricValue(t, reg, "pantheon_outbox_dead_letters_total"); got != 1 {
		t.Fatalf("dead letter metric %v", got)
	}
}

func TestOutboxConcurrentSubmits(t *testing.T) {
	s, a, b := twoPlayers(t)
	ob := openOutbox(t, outbox.Config{Dir: t.TempDir(), SegmentBytes: 4096, Logger: quietLogger()}, s)
	runOutbox(t, ob)
	ctx := storetest.Ctx(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				if err := ob.Submit(ctx, storetest.Battle(fmt.Sprintf("c%d-%d", g, i), a, b)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	waitDrained(t, ob, 60*time.Second)
	storetest.MustBalance(t, s, a, "gold", 25*200)
	storetest.CheckLedger(t, s, "gold", a, b, persistence.HouseAccount)
}

func TestOutboxDirectoryLocked(t *testing.T) {
	s := storetest.OpenSQLite(t)
	dir := t.TempDir()
	openOutbox(t, outbox.Config{Dir: dir, Logger: quietLogger()}, s)
	if _, err := outbox.Open(outbox.Config{Dir: dir, Logger: quietLogger()}, s); err == nil {
		t.Fatal("second outbox on the same directory opened")
	}
	if err := (outbox.Config{}).Validate(); err == nil {
		t.Fatal("empty Dir accepted")
	}
}

func BenchmarkOutboxSubmit(b *testing.B) {
	s := storetest.OpenSQLite(b)
	ob, err := outbox.Open(outbox.Config{Dir: b.TempDir(), MaxRecords: 1 << 30, MaxBytes: 1 << 40, Logger: quietLogger()}, s)
	if err != nil {
		b.Fatal(err)
	}
	defer ob.Close()
	rec := storetest.Battle("bench", "p_a", "p_b")
	for _, par := range []int{1, 16} {
		b.Run(fmt.Sprintf("submitters=%d", par), func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(par)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := ob.Submit(context.Background(), rec); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
