package server

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// logQueue takes log records off the goroutines that must never block (a
// room's shard above all: a stalled stderr would stall every room on it)
// and writes them on one logger goroutine that the Server starts and waits
// for.
//
// Overflow policy: Handle never blocks. When the queue is full the new
// record is dropped and counted (pantheon_room_log_records_dropped_total);
// once the logger catches up it writes one warning saying how many records
// were lost. Records are written in the order they were queued.
type logQueue struct {
	ch      chan logItem
	base    slog.Handler // where the logger writes, and its drop warnings go
	dropped atomic.Uint64
	drops   prometheus.Counter
	stop    chan struct{} // closed by close: drain what is queued and exit
	done    chan struct{} // closed when the logger goroutine has exited
}

// logItem is one queued record and the handler (with its attributes and
// groups) that writes it.
type logItem struct {
	h   slog.Handler
	rec slog.Record
}

func newLogQueue(size int, base slog.Handler, drops prometheus.Counter) *logQueue {
	return &logQueue{
		ch: make(chan logItem, size), base: base, drops: drops,
		stop: make(chan struct{}), done: make(chan struct{}),
	}
}

// logger returns a logger whose records go through the queue.
func (q *logQueue) logger() *slog.Logger {
	return slog.New(&queuedHandler{inner: q.base, q: q})
}

// offer queues rec for h without blocking, or drops and counts it.
func (q *logQueue) offer(h slog.Handler, rec slog.Record) {
	select {
	case q.ch <- logItem{h: h, rec: rec.Clone()}:
	default:
		q.dropped.Add(1)
		q.drops.Inc()
	}
}

// run writes queued records until close is called, then writes what is
// still queued and returns. Call it once, on the goroutine that owns the
// writer.
func (q *logQueue) run() {
	defer close(q.done)
	var reported uint64
	for {
		select {
		case it := <-q.ch:
			q.write(it)
		case <-q.stop:
			for {
				select {
				case it := <-q.ch:
					q.write(it)
				default:
					q.reportDrops(&reported)
					return
				}
			}
		}
		if len(q.ch) == 0 {
			q.reportDrops(&reported)
		}
	}
}

func (q *logQueue) write(it logItem) {
	_ = it.h.Handle(context.Background(), it.rec) // a failing log writer has nowhere to report to
}

// reportDrops writes one warning for the records dropped since the last.
func (q *logQueue) reportDrops(reported *uint64) {
	n := q.dropped.Load()
	if n == *reported {
		return
	}
	rec := slog.NewRecord(time.Now(), slog.LevelWarn, "log queue full; records dropped", 0)
	rec.AddAttrs(slog.Uint64("dropped", n-*reported), slog.Uint64("dropped_total", n))
	*reported = n
	_ = q.base.Handle(context.Background(), rec)
}

// close stops the logger goroutine after it has written every queued
// record, waiting at most timeout (a writer blocked for good cannot be
// interrupted; its goroutine is then left behind). It reports whether the
// logger finished. Call it once, after run was started and everything that
// logs through the queue has stopped.
func (q *logQueue) close(timeout time.Duration) bool {
	close(q.stop)
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-q.done:
		return true
	case <-t.C:
		return false
	}
}

// queuedHandler is the slog.Handler of the server's logger: Handle hands
// the record to the queue and returns at once.
type queuedHandler struct {
	inner slog.Handler
	q     *logQueue
}

// Enabled defers to the wrapped handler (a level check; it does no I/O).
func (h *queuedHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

// Handle queues r; it never blocks and never fails (see logQueue).
func (h *queuedHandler) Handle(_ context.Context, r slog.Record) error {
	h.q.offer(h.inner, r)
	return nil
}

// WithAttrs returns a handler queuing to the same queue.
func (h *queuedHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &queuedHandler{inner: h.inner.WithAttrs(attrs), q: h.q}
}

// WithGroup returns a handler queuing to the same queue.
func (h *queuedHandler) WithGroup(name string) slog.Handler {
	return &queuedHandler{inner: h.inner.WithGroup(name), q: h.q}
}
