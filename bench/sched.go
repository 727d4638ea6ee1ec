package bench

import (
	"context"
	"runtime"
	"sync"
	"time"
)

// scheduler steps every playing bot at the scenario's input rate from a
// few goroutines (one per CPU) instead of a goroutine and a timer per bot:
// each worker owns a share of the players and, once per period, visits
// each. A step that is late (the bench itself saturated) is recorded in
// the collector's lag histogram, so a slow load generator is never taken
// for a slow server. Workers are started by run and stop with its context.
type scheduler struct {
	period  time.Duration
	col     *collector
	workers []*schedWorker
	mu      sync.Mutex
	next    int
}

type schedWorker struct {
	mu      sync.Mutex
	players []*player // add appends; the worker drops the gone ones
}

func newScheduler(hz int, col *collector) *scheduler {
	s := &scheduler{period: time.Second / time.Duration(max(hz, 1)), col: col}
	for range runtime.GOMAXPROCS(0) {
		s.workers = append(s.workers, &schedWorker{})
	}
	return s
}

// add hands p to the next worker, round robin.
func (s *scheduler) add(p *player) {
	s.mu.Lock()
	w := s.workers[s.next%len(s.workers)]
	s.next++
	s.mu.Unlock()
	w.mu.Lock()
	w.players = append(w.players, p)
	w.mu.Unlock()
}

// remove takes p out: its worker skips it from its next period on. A step
// already running may still finish after remove returns, so the caller may
// close the client (a step on a closed client does nothing harmful:
// SendInput fails) but must not reuse the player.
func (s *scheduler) remove(p *player) { p.gone.Store(true) }

// run runs the workers until ctx ends and waits for them.
func (s *scheduler) run(ctx context.Context) {
	var wg sync.WaitGroup
	for i, w := range s.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Workers start spread over the period so their bursts of
			// writes do not coincide.
			select {
			case <-time.After(s.period * time.Duration(i) / time.Duration(len(s.workers))):
			case <-ctx.Done():
				return
			}
			w.loop(ctx, s.period, s.col)
		}()
	}
	wg.Wait()
}

func (w *schedWorker) loop(ctx context.Context, period time.Duration, col *collector) {
	t := time.NewTicker(period)
	defer t.Stop()
	var batch []*player
	for {
		select {
		case <-ctx.Done():
			return
		case due := <-t.C:
			now := time.Now()
			col.lag.add(now.Sub(due))
			w.mu.Lock()
			kept := w.players[:0]
			for _, p := range w.players {
				if !p.gone.Load() {
					kept = append(kept, p)
				}
			}
			clear(w.players[len(kept):])
			w.players = kept
			batch = append(batch[:0], kept...)
			w.mu.Unlock()
			for _, p := range batch {
				p.step(now)
			}
			clear(batch)
		}
	}
}
