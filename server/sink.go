package server

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
)

// ResultSink receives finished matches. outbox.Outbox (package
// persistence/outbox) implements it durably; MemorySink is for tests.
// Submit is never called on a tick goroutine: the server hands records to
// a bounded queue drained by a goroutine of its own, which retries a
// failed Submit with back-off until it succeeds or the server's flush
// deadline passes. Submit must be idempotent by rec.MatchID (a retry
// after an uncertain failure may deliver the same record twice).
type ResultSink interface {
	Submit(ctx context.Context, rec contract.MatchRecord) error
}

// MemorySink keeps submitted records in memory, in submission order,
// ignoring a second record with the same MatchID. It is safe for concurrent
// use.
type MemorySink struct {
	mu      sync.Mutex
	records []contract.MatchRecord
	seen    map[string]bool
	changed chan struct{} // closed and replaced on every new record
}

// NewMemorySink returns an empty sink.
func NewMemorySink() *MemorySink {
	return &MemorySink{seen: make(map[string]bool), changed: make(chan struct{})}
}

// Submit stores rec unless its MatchID was stored before.
func (s *MemorySink) Submit(_ context.Context, rec contract.MatchRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[rec.MatchID] {
		return nil
	}
	s.seen[rec.MatchID] = true
	s.records = append(s.records, rec)
	close(s.changed)
	s.changed = make(chan struct{})
	return nil
}

// Records returns a copy of the records stored so far.
func (s *MemorySink) Records() []contract.MatchRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]contract.MatchRecord(nil), s.records...)
}

// Wait blocks until the sink holds a record for matchID or ctx ends.
func (s *MemorySink) Wait(ctx context.Context, matchID string) (contract.MatchRecord, error) {
	for {
		s.mu.Lock()
		for _, r := range s.records {
			if r.MatchID == matchID {
				s.mu.Unlock()
				return r, nil
			}
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return contract.MatchRecord{}, ctx.Err()
		}
	}
}

// queuedResult is a finished match on its way to the sink, with the room
// that waits to hear it is durable (nil for none).
type queuedResult struct {
	rec  contract.MatchRecord
	room *room
}

// resultQueue carries finished matches from room goroutines to the sink,
// submitted by Config.ResultWorkers goroutines. Overflow policy: offer
// never blocks; when the queue is full it returns false and the room keeps
// its record and offers it again next tick, so no result is dropped and no
// tick waits. Every record's room is told how its Submit went (durable, or
// lost at the flush deadline) and its shard woken.
type resultQueue struct {
	ch      chan queuedResult
	sink    ResultSink
	retry   time.Duration
	log     *slog.Logger
	metrics *metrics
	durable func(r queuedResult) // called once the sink has r's record; may be nil
}

func newResultQueue(size int, sink ResultSink, retry time.Duration, log *slog.Logger, m *metrics) *resultQueue {
	return &resultQueue{ch: make(chan queuedResult, size), sink: sink, retry: retry, log: log, metrics: m}
}

// offer queues q without blocking and reports whether it fit.
func (q *resultQueue) offer(r queuedResult) bool {
	select {
	case q.ch <- r:
		q.metrics.resultQueue.Inc()
		return true
	default:
		return false
	}
}

// run submits queued records until stop is closed and the queue is empty,
// or until ctx ends (the flush deadline): records still queued then are
// logged with their match ids as lost to this process. Several run
// goroutines may share one queue.
func (q *resultQueue) run(ctx context.Context, stop <-chan struct{}) {
	for {
		select {
		case r := <-q.ch:
			q.submit(ctx, r)
			continue
		default:
		}
		select {
		case r := <-q.ch:
			q.submit(ctx, r)
		case <-stop:
			for {
				select {
				case r := <-q.ch:
					q.submit(ctx, r)
				default:
					return
				}
			}
		case <-ctx.Done():
			q.abandon()
			return
		}
	}
}

// submit hands r's record to the sink, retrying with doubling back-off
// (capped at 30 s) until it succeeds or ctx ends, and tells r's room.
func (q *resultQueue) submit(ctx context.Context, r queuedResult) {
	q.metrics.resultQueue.Dec()
	rec := r.rec
	wait := q.retry
	for {
		err := q.sink.Submit(ctx, rec)
		if err == nil {
			if q.durable != nil {
				q.durable(r)
			}
			r.tell(resultDurable)
			q.metrics.results.WithLabelValues(rec.Outcome.String()).Inc()
			q.log.Info("match result submitted", "match", rec.MatchID, "room", rec.RoomID, "outcome", rec.Outcome, "ticks", rec.Ticks)
			return
		}
		q.metrics.submitErrors.Inc()
		q.log.Warn("match result submit failed; retrying", "match", rec.MatchID, "err", err, "retry_in", wait)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			q.lost(r)
			q.abandon()
			return
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// abandon gives up every record still queued.
func (q *resultQueue) abandon() {
	for {
		select {
		case r := <-q.ch:
			q.metrics.resultQueue.Dec()
			q.lost(r)
		default:
			return
		}
	}
}

// lost logs r as not submitted and tells its room.
func (q *resultQueue) lost(r queuedResult) {
	r.tell(resultLost)
	q.log.Error("match result NOT submitted: flush deadline passed", "match", r.rec.MatchID, "room", r.rec.RoomID)
}

// tell records how r's Submit went on its room and wakes the room's shard.
func (r queuedResult) tell(state int32) {
	if r.room == nil {
		return
	}
	r.room.durable.Store(state)
	if sh := r.room.shard; sh != nil {
		sh.poke()
	}
}
