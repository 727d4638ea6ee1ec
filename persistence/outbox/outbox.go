package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/persistence"
)

// Sentinel errors; compare with errors.Is.
var (
	// ErrFull: Submit refused a record because the outbox holds
	// Config.MaxRecords records or Config.MaxBytes bytes not yet flushed.
	// Retry once the flusher has caught up; nothing was written.
	ErrFull = errors.New("outbox: full")
	// ErrClosed: Submit after Close, or after a disk failure made the
	// outbox unusable (the error says which).
	ErrClosed = errors.New("outbox: closed")
)

// Outbox is the room server's durable local outbox of finished matches.
// Submit makes a record durable on local disk (fsync, shared by concurrent
// submitters) and returns; Run, a goroutine the owner starts and waits for,
// drains the records in order to a persistence.Results in batches.
// ApplyMatches is idempotent by match id, so a batch retried after an
// uncertain commit or replayed after a crash changes nothing. A restart
// resumes from disk. An Outbox is safe for concurrent Submits.
//
//	ob, err := outbox.Open(outbox.Config{Dir: "data/outbox"}, store)
//	go func() { done <- ob.Run(ctx) }()
//	err = ob.Submit(ctx, rec) // durable when nil
//	...; cancel(); <-done; ob.Close()
type Outbox struct {
	cfg  Config
	sink persistence.Results
	log  *slog.Logger
	met  *metrics
	lock *os.File
	kick chan struct{} // buffered 1: records became flushable

	mu       sync.Mutex
	cond     *sync.Cond // syncedSeq advanced, a sync ended, or failed set
	failed   error      // sticky: disk write or fsync failed, or closed
	nextSeq  uint64     // sequence number of the next record
	synced   uint64     // every frame with seq <= synced is durable
	syncing  bool       // a Submit is fsyncing the active segment
	segs     []segment  // oldest first; the last is active
	active   *os.File
	actSize  int64
	pending  []logEntry // written, not yet flushed, in seq order
	pendRecs int
	pendSize int64
	nearFull bool // the near-full warning is raised
	full     bool // the full error is raised
}

// segment is one segment file: its first sequence number and the last
// sequence number written to it (0 when empty).
type segment struct {
	first, last uint64
}

// Open opens (or creates) the outbox in cfg.Dir, recovering what is on
// disk: records written before a crash and not yet flushed become pending
// again; a torn frame at the tail of the log is cut off. sink is where Run
// flushes to. Only one Outbox (in any process) may have cfg.Dir open;
// call Close to release it.
func Open(cfg Config, sink persistence.Results) (*Outbox, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if sink == nil {
		return nil, errors.New("outbox: nil persistence.Results")
	}
	cfg = cfg.withDefaults()
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("outbox %s: %w", cfg.Dir, err)
	}
	lock, err := lockDir(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	met, err := newMetrics(cfg.Registerer)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("outbox %s: metrics: %w", cfg.Dir, err)
	}
	o := &Outbox{cfg: cfg, sink: sink, log: cfg.Logger.With("component", "outbox", "dir", cfg.Dir), met: met, lock: lock,
		kick: make(chan struct{}, 1)}
	o.cond = sync.NewCond(&o.mu)
	if err := o.recover(); err != nil {
		lock.Close()
		return nil, fmt.Errorf("outbox %s: recover: %w", cfg.Dir, err)
	}
	o.updateGauges()
	if o.pendRecs > 0 {
		o.log.Info("outbox recovered pending results", "records", o.pendRecs, "bytes", o.pendSize)
		o.signal()
	}
	return o, nil
}

// recover reads the log back and starts a fresh active segment.
func (o *Outbox) recover() error {
	ack, err := readAck(o.cfg.Dir)
	if err != nil {
		return err
	}
	firsts, err := listSegments(o.cfg.Dir)
	if err != nil {
		return err
	}
	last := ack
	for i, first := range firsts {
		path := filepath.Join(o.cfg.Dir, segmentName(first))
		entries, good, torn, err := readSegment(path)
		if err != nil {
			return err
		}
		if torn {
			if i != len(firsts)-1 {
				return fmt.Errorf("%w: damaged frame at offset %d of %s", errCorrupt, good, path)
			}
			o.log.Warn("outbox: cutting a torn write off the log tail", "segment", path, "offset", good)
			if err := os.Truncate(path, good); err != nil {
				return err
			}
		}
		if len(entries) == 0 {
			// Created, never written (or only a torn frame): nothing to keep.
			if err := os.Remove(path); err != nil {
				return err
			}
			continue
		}
		seg := segment{first: first}
		for _, e := range entries {
			seg.last = e.seq
			last = max(last, e.seq)
			if e.seq > ack {
				o.pending = append(o.pending, e)
				o.pendRecs++
				o.pendSize += e.size
			}
		}
		if seg.last <= ack {
			if err := os.Remove(path); err != nil {
				return err
			}
			continue
		}
		o.segs = append(o.segs, seg)
	}
	o.nextSeq = last + 1
	o.synced = last
	return o.startSegment()
}

// startSegment opens a new active segment at nextSeq. o.mu is held (or the
// outbox is not shared yet).
func (o *Outbox) startSegment() error {
	f, size, err := appendFile(o.cfg.Dir, segmentName(o.nextSeq))
	if err != nil {
		return err
	}
	o.active, o.actSize = f, size
	o.segs = append(o.segs, segment{first: o.nextSeq})
	return nil
}

// Submit durably appends rec and returns nil once it is on disk (fsynced):
// from then on the record will reach the store exactly once, across
// crashes and restarts. It refuses with ErrFull at the configured bound,
// with persistence.ErrInvalid for a record the store would refuse, and
// with ErrClosed after Close or a disk failure. It never waits on the
// database; it waits for at most one fsync of the log (shared with
// concurrent Submits) and checks ctx only before writing.
func (o *Outbox) Submit(ctx context.Context, rec contract.MatchRecord) error {
	if err := persistence.ValidateRecord(rec); err != nil {
		return fmt.Errorf("outbox: submit: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failed != nil {
		return fmt.Errorf("outbox: submit match %s: %w", rec.MatchID, o.failed)
	}
	frame, err := encodeFrame(o.nextSeq, &rec)
	if err != nil {
		return fmt.Errorf("outbox: submit: %w", err)
	}
	size := int64(len(frame))
	if o.pendRecs+1 > o.cfg.MaxRecords || o.pendSize+size > o.cfg.MaxBytes {
		o.met.rejected.Inc()
		if !o.full {
			o.full = true
			o.log.Error("OUTBOX FULL: refusing match results until the store catches up",
				"records", o.pendRecs, "max_records", o.cfg.MaxRecords, "bytes", o.pendSize, "max_bytes", o.cfg.MaxBytes)
		}
		return fmt.Errorf("outbox: submit match %s: %w", rec.MatchID, ErrFull)
	}
	if o.actSize > 0 && o.actSize+size > o.cfg.SegmentBytes {
		if err := o.rotate(); err != nil {
			o.fail(err)
			return fmt.Errorf("outbox: rotate segment: %w", err)
		}
	}
	seq := o.nextSeq
	if _, err := o.active.Write(frame); err != nil {
		o.fail(err)
		return fmt.Errorf("outbox: write match %s: %w", rec.MatchID, err)
	}
	o.nextSeq++
	o.actSize += size
	o.segs[len(o.segs)-1].last = seq
	o.pending = append(o.pending, logEntry{seq: seq, rec: rec, size: size})
	o.pendRecs++
	o.pendSize += size
	o.updateGauges()
	o.warnIfNearFull()
	if err := o.syncThrough(seq); err != nil {
		return fmt.Errorf("outbox: sync match %s: %w", rec.MatchID, err)
	}
	o.signal()
	return nil
}

// syncThrough returns once every frame up to seq is durable. One caller at
// a time fsyncs (without holding o.mu); the others wait for it, and one
// fsync covers every frame written before it started (group commit).
// o.mu is held.
func (o *Outbox) syncThrough(seq uint64) error {
	for o.synced < seq {
		if o.failed != nil {
			return o.failed
		}
		if o.syncing {
			o.cond.Wait()
			continue
		}
		o.syncing = true
		f, target := o.active, o.nextSeq-1
		o.mu.Unlock()
		start := time.Now()
		err := f.Sync()
		o.met.syncSeconds.Observe(time.Since(start).Seconds())
		o.mu.Lock()
		o.syncing = false
		if err != nil {
			o.fail(err)
		} else {
			o.synced = max(o.synced, target)
		}
		o.cond.Broadcast()
	}
	return nil
}

// rotate seals the active segment (fsynced) and starts a new one. o.mu is
// held; it waits for an fsync in progress on the active file to end.
func (o *Outbox) rotate() error {
	for o.syncing {
		o.cond.Wait()
	}
	if o.failed != nil {
		return o.failed
	}
	if err := o.active.Sync(); err != nil {
		return err
	}
	o.synced = o.nextSeq - 1
	if err := o.active.Close(); err != nil {
		return err
	}
	return o.startSegment()
}

// fail makes the outbox refuse further Submits: after a failed write or
// fsync the state of the file is unknown (fsync errors are not retryable
// on Linux). Records already acknowledged stay on disk and are flushed.
// o.mu is held.
func (o *Outbox) fail(err error) {
	if o.failed == nil {
		o.failed = fmt.Errorf("%w: disk failure: %w", ErrClosed, err)
		o.log.Error("OUTBOX DISK FAILURE: refusing further results", "err", err)
	}
	o.cond.Broadcast()
}

// warnIfNearFull logs once each time the fill crosses cfg.NearFull and
// clears the full flag when back under the bound. o.mu is held.
func (o *Outbox) warnIfNearFull() {
	fill := max(float64(o.pendRecs)/float64(o.cfg.MaxRecords), float64(o.pendSize)/float64(o.cfg.MaxBytes))
	switch {
	case fill >= o.cfg.NearFull && !o.nearFull:
		o.nearFull = true
		o.log.Warn("OUTBOX NEAR FULL: the store is not keeping up (down?)",
			"fill", fill, "records", o.pendRecs, "bytes", o.pendSize, "max_records", o.cfg.MaxRecords, "max_bytes", o.cfg.MaxBytes)
	case fill < o.cfg.NearFull && o.nearFull:
		o.nearFull, o.full = false, false
		o.log.Info("outbox back under its near-full mark", "records", o.pendRecs, "bytes", o.pendSize)
	}
}

// updateGauges publishes the pending counts. o.mu is held.
func (o *Outbox) updateGauges() {
	o.met.pendingRecords.Set(float64(o.pendRecs))
	o.met.pendingBytes.Set(float64(o.pendSize))
}

// signal wakes the flusher.
func (o *Outbox) signal() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// Outcome reports the outcome of matchID's record when the outbox holds
// one, pending or already flushed to the store (asked there; an error when
// the store cannot answer). The room server's crash recovery uses it
// (server.ResultLookup).
func (o *Outbox) Outcome(ctx context.Context, matchID string) (contract.Outcome, bool, error) {
	o.mu.Lock()
	for i := range o.pending {
		if o.pending[i].rec.MatchID == matchID {
			out := o.pending[i].rec.Outcome
			o.mu.Unlock()
			return out, true, nil
		}
	}
	o.mu.Unlock()
	rec, err := o.sink.Match(ctx, matchID)
	switch {
	case errors.Is(err, persistence.ErrNotFound):
		return "", false, nil
	case err != nil:
		return "", false, err
	}
	return rec.Outcome, true, nil
}

// Pending returns the records and encoded bytes not yet flushed.
func (o *Outbox) Pending() (records int, bytes int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.pendRecs, o.pendSize
}

// Close closes the log files and releases the directory. Call it after Run
// has returned; Submits after Close fail with ErrClosed.
func (o *Outbox) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for o.syncing {
		o.cond.Wait()
	}
	if errors.Is(o.failed, ErrClosed) && o.active == nil {
		return nil
	}
	if o.failed == nil {
		o.failed = ErrClosed
	}
	var err error
	if o.active != nil {
		err = errors.Join(o.active.Sync(), o.active.Close())
		o.active = nil
	}
	o.met.unregister()
	return errors.Join(err, o.lock.Close())
}
