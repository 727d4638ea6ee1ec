package server

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// gateWriter is a log writer that blocks every Write until the test opens
// its gate (a stalled stderr, a full pipe).
type gateWriter struct {
	gate    chan struct{} // closed by open
	entered chan struct{} // closed at the first Write
	once    sync.Once
	mu      sync.Mutex
	buf     bytes.Buffer
}

func newGateWriter() *gateWriter {
	return &gateWriter{gate: make(chan struct{}), entered: make(chan struct{})}
}

func (w *gateWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.entered) })
	<-w.gate
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *gateWriter) open() { close(w.gate) }

func (w *gateWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestLogQueueOverflowDropsAndCounts: with the writer blocked, the queue
// holds what fits and drops (and counts) the rest without blocking the
// caller; once the writer moves, the queued records come out in order,
// followed by one warning with the number dropped.
func TestLogQueueOverflowDropsAndCounts(t *testing.T) {
	w := newGateWriter()
	drops := prometheus.NewCounter(prometheus.CounterOpts{Name: "drops"})
	q := newLogQueue(4, slog.NewTextHandler(w, nil), drops)
	go q.run()
	log := q.logger().With("room", "r_1")
	log.Info("record", "n", 0)
	<-w.entered // the logger goroutine is stuck writing record 0
	for i := 1; i <= 10; i++ {
		log.Info("record", "n", i) // 1..4 fit in the queue; 5..10 are dropped
	}
	var m dto.Metric
	if err := drops.Write(&m); err != nil {
		t.Fatal(err)
	}
	if got := m.GetCounter().GetValue(); got != 6 {
		t.Fatalf("%v records counted as dropped, want 6", got)
	}
	w.open()
	if !q.close(5 * time.Second) {
		t.Fatal("the logger did not finish after its writer moved")
	}
	lines := strings.Split(strings.TrimSpace(w.String()), "\n")
	if len(lines) != 6 {
		t.Fatalf("%d lines written, want 5 records and a warning:\n%s", len(lines), w.String())
	}
	for i, l := range lines[:5] {
		if !strings.Contains(l, fmt.Sprintf("room=r_1 n=%d", i)) {
			t.Fatalf("line %d is %q, want record %d with its logger's attributes", i, l, i)
		}
	}
	if l := lines[5]; !strings.Contains(l, "level=WARN") || !strings.Contains(l, "log queue full") || !strings.Contains(l, "dropped=6") {
		t.Fatalf("last line %q, want the drop warning", l)
	}
}

// TestBlockedLogWriterDoesNotStallRooms runs four rooms on real shard
// goroutines with the log writer blocked from the first record on: while
// it stays blocked, every room starts, seats its players (each logged on
// the shard) and keeps ticking, its clients keep getting snapshots, and
// the log records that do not fit the queue are dropped and counted. Once
// the writer moves, the logger writes what was queued and the drop
// warning, and the server shuts down cleanly.
func TestBlockedLogWriterDoesNotStallRooms(t *testing.T) {
	w := newGateWriter()
	cfg := testConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(w, nil))
	cfg.LogQueue = 4
	h := startHarness(t, cfg, scriptFactory(30, 0))
	<-w.entered // "room server started" is stuck in Write

	var clients []*rawClient
	var rooms []*room
	for i := range 4 {
		resp := h.create(battleSpec(fmt.Sprintf("m_logs_%d", i)))
		clients = append(clients, joinAll(t, h, resp, "mem")...)
		r, ok := h.srv.reg.get(resp.RoomID)
		if !ok {
			t.Fatalf("room %s not hosted", resp.RoomID)
		}
		rooms = append(rooms, r)
	}
	from := make([]uint32, len(rooms))
	for i, r := range rooms {
		from[i] = r.tick.Load()
	}
	snaps := make([]int, len(clients))
	for i, rc := range clients {
		_, _, _, snaps[i], _, _ = rc.state()
	}
	waitFor(t, "every room to tick 30 more times with the log writer blocked", func() bool {
		for i, r := range rooms {
			if r.tick.Load() < from[i]+30 {
				return false
			}
		}
		return true
	})
	waitFor(t, "every client to get 20 more snapshots", func() bool {
		for i, rc := range clients {
			if _, _, _, n, _, _ := rc.state(); n < snaps[i]+20 {
				return false
			}
		}
		return true
	})
	select {
	case <-w.gate:
		t.Fatal("the writer was released early")
	default:
	}
	// 4 rooms created, 8 players seated, 4 rooms running: 16 records
	// besides the one stuck in Write, for a queue of 4.
	dropped := h.srv.metricValue("pantheon_room_log_records_dropped_total", "")
	if dropped < 16-4 {
		t.Fatalf("%v log records dropped, want at least 12", dropped)
	}

	w.open()
	for _, r := range rooms {
		r.requestAbort(netcode.CodeRoomEnded, "test over")
	}
	h.srv.pokeShards()
	if err := h.srv.Shutdown(); err != nil {
		t.Fatal(err)
	}
	// The last drop warning accounts for every record dropped, including
	// any dropped after the gate opened.
	out := w.String()
	total := h.srv.metricValue("pantheon_room_log_records_dropped_total", "")
	i := strings.LastIndex(out, "dropped_total=")
	if !strings.Contains(out, "room server started") || !strings.Contains(out, "log queue full; records dropped") || i < 0 ||
		!strings.HasPrefix(out[i:], fmt.Sprintf("dropped_total=%d\n", int(total))) {
		t.Fatalf("log output lacks the first record or a drop warning for all %v dropped:\n%s", total, out)
	}
}

// TestShutdownWithLogWriterBlockedForGood: a log writer that never moves
// does not hang Shutdown past its flush deadline; Shutdown says so.
func TestShutdownWithLogWriterBlockedForGood(t *testing.T) {
	w := newGateWriter()
	defer w.open() // lets the stuck logger goroutine go once the test is over
	cfg := testConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(w, nil))
	cfg.FlushTimeout = 200 * time.Millisecond
	h := startHarness(t, cfg, scriptFactory(30, 0))
	<-w.entered
	start := time.Now()
	err := h.srv.Shutdown()
	if err == nil || !strings.Contains(err.Error(), "log writer blocked") {
		t.Fatalf("Shutdown: %v, want a blocked log writer reported", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Shutdown took %v", d)
	}
}
