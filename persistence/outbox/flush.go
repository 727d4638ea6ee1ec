package outbox

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/persistence"
)

// Run flushes pending records to the store until ctx ends, then returns
// ctx's error. Batches of up to BatchRecords durable records go to
// ApplyMatches in submission order; after each success the acknowledged
// sequence number is written durably and flushed segments are deleted.
// When the store fails, Run waits with jittered exponential backoff and
// retries the same batch. A record the store refuses for good
// (persistence.ErrInvalid, or persistence.ErrNotFound for an unknown
// player) is moved to deadletter.seg with a loud log instead of blocking
// the records behind it. Run one Run at a time.
func (o *Outbox) Run(ctx context.Context) error {
	backoff := o.cfg.MinBackoff
	for {
		batch := o.nextBatch()
		if len(batch) == 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-o.kick:
				continue
			}
		}
		err := o.flush(ctx, batch)
		if err == nil {
			backoff = o.cfg.MinBackoff
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		o.met.failures.Inc()
		o.log.Warn("outbox: flush failed; will retry", "records", len(batch), "retry_in", backoff, "err", err)
		// Full jitter between backoff/2 and backoff, then double.
		wait := backoff/2 + rand.N(backoff/2+1)
		backoff = min(2*backoff, o.cfg.MaxBackoff)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// nextBatch returns up to BatchRecords durable pending records from the head.
func (o *Outbox) nextBatch() []logEntry {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for n < len(o.pending) && n < o.cfg.BatchRecords && o.pending[n].seq <= o.synced {
		n++
	}
	return append([]logEntry(nil), o.pending[:n]...)
}

// flush applies one batch; on a permanent refusal it isolates the bad
// records one by one. It acknowledges every record it settled, even when
// it returns an error for a later one.
func (o *Outbox) flush(ctx context.Context, batch []logEntry) error {
	recs := make([]contract.MatchRecord, len(batch))
	for i, e := range batch {
		recs[i] = e.rec
	}
	start := time.Now()
	_, err := o.sink.ApplyMatches(ctx, recs)
	o.met.flushSeconds.Observe(time.Since(start).Seconds())
	if err == nil {
		return o.ack(batch, nil)
	}
	if !permanent(err) {
		return err
	}
	for i, e := range batch {
		_, err := o.sink.ApplyMatches(ctx, []contract.MatchRecord{e.rec})
		switch {
		case err == nil:
			if err := o.ack(batch[i:i+1], nil); err != nil {
				return err
			}
		case permanent(err):
			if err := o.ack(batch[i:i+1], err); err != nil {
				return err
			}
		default:
			return err
		}
	}
	return nil
}

// permanent reports a store error that retrying cannot fix.
func permanent(err error) bool {
	return errors.Is(err, persistence.ErrInvalid) || errors.Is(err, persistence.ErrNotFound)
}

// ack records that batch (a prefix of pending) is settled: applied, or
// refused for good (refused != nil: the records go to the dead-letter
// file first). It persists the acknowledged sequence number, drops the
// records from memory and deletes segments that hold nothing pending.
func (o *Outbox) ack(batch []logEntry, refused error) error {
	if refused != nil {
		if err := o.deadLetter(batch, refused); err != nil {
			return err
		}
	}
	last := batch[len(batch)-1].seq
	if err := writeAck(o.cfg.Dir, last); err != nil {
		return err
	}
	var size int64
	for _, e := range batch {
		size += e.size
	}
	o.mu.Lock()
	o.pending = o.pending[len(batch):]
	if len(o.pending) == 0 {
		o.pending = nil // let the backing array go
	}
	o.pendRecs -= len(batch)
	o.pendSize -= size
	o.updateGauges()
	o.warnIfNearFull()
	var drop []segment
	for len(o.segs) > 1 && o.segs[0].last <= last {
		drop = append(drop, o.segs[0])
		o.segs = o.segs[1:]
	}
	o.mu.Unlock()
	if refused == nil {
		o.met.flushed.Add(float64(len(batch)))
	}
	for _, s := range drop {
		if err := os.Remove(filepath.Join(o.cfg.Dir, segmentName(s.first))); err != nil && !errors.Is(err, os.ErrNotExist) {
			o.log.Warn("outbox: remove flushed segment", "err", err)
		}
	}
	return nil
}

// deadLetter appends refused records to deadletter.seg (fsynced) and logs
// each loudly.
func (o *Outbox) deadLetter(batch []logEntry, refused error) error {
	f, _, err := appendFile(o.cfg.Dir, deadFile)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, e := range batch {
		frame, err := encodeFrame(e.seq, &e.rec)
		if err != nil {
			return err
		}
		if _, err := f.Write(frame); err != nil {
			return err
		}
		o.met.deadLetters.Inc()
		o.log.Error("OUTBOX DEAD LETTER: the store refused a match result for good; kept in "+deadFile,
			"match", e.rec.MatchID, "err", refused)
	}
	return f.Sync()
}

// DeadLetters returns the records the flusher moved to the dead-letter
// file, oldest first, for an operator to inspect or resubmit.
func (o *Outbox) DeadLetters() ([]contract.MatchRecord, error) {
	entries, _, _, err := readSegment(filepath.Join(o.cfg.Dir, deadFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]contract.MatchRecord, len(entries))
	for i, e := range entries {
		out[i] = e.rec
	}
	return out, nil
}
