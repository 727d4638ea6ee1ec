package server

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pantheon-oracles/pantheon/netcode"
)

// shard is one scheduler goroutine stepping many rooms. A room is placed on
// the least-loaded shard when it is created and stays there, so exactly one
// goroutine ever touches its simulation. A shard sleeps until the earliest
// time one of its rooms needs service (its next tick, its waiting deadline)
// or until it is woken (a room added, a join, an abort), then services every
// room. One timer wake-up per shard per tick period serves all its rooms at
// that rate instead of one timer per room. After servicing a room the shard
// hands the frames the room queued (snapshots, events, welcomes) to its
// connections' sockets itself, one non-blocking write per connection
// (conn.send), so a steady tick wakes no goroutine per connection.
type shard struct {
	env  *roomEnv
	id   int
	wake chan struct{} // cap 1: something needs the shard's attention
	load atomic.Int32  // rooms on this shard

	mu       sync.Mutex
	incoming []*room // rooms added since the last pass, guarded by mu

	rooms []*room // owned by the shard goroutine
}

func newShard(env *roomEnv, id int) *shard {
	return &shard{env: env, id: id, wake: make(chan struct{}, 1)}
}

// add hands r to the shard's goroutine. r.shard must already be sh (set
// before r was visible to any other goroutine).
func (sh *shard) add(r *room) {
	if r.shard != sh {
		panic("server: room handed to a shard it was not built for") // broken invariant
	}
	sh.load.Add(1)
	sh.mu.Lock()
	sh.incoming = append(sh.incoming, r)
	sh.mu.Unlock()
	sh.poke()
}

// poke wakes the shard without blocking.
func (sh *shard) poke() {
	select {
	case sh.wake <- struct{}{}:
	default:
	}
}

// run services rooms until ctx ends and the shard has no rooms left.
func (sh *shard) run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	stop := ctx.Done()
	stopping := false
	for {
		next := sh.pass(sh.env.now)
		if stopping && len(sh.rooms) == 0 && sh.load.Load() == 0 {
			return
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(max(next.Sub(sh.env.now()), 0))
		select {
		case <-timer.C:
		case <-sh.wake:
		case <-stop:
			stopping = true
			stop = nil
		}
	}
}

// pass services every room once, each at a fresh now(), and returns when
// the shard should next run (at most a second away).
func (sh *shard) pass(now func() time.Time) time.Time {
	sh.mu.Lock()
	sh.rooms = append(sh.rooms, sh.incoming...)
	clear(sh.incoming)
	sh.incoming = sh.incoming[:0]
	sh.mu.Unlock()

	t := now()
	next := t.Add(time.Second)
	kept := sh.rooms[:0]
	for _, r := range sh.rooms {
		t = now()
		if sh.serviceSafely(r, t) {
			sh.load.Add(-1)
			continue
		}
		r.send()
		kept = append(kept, r)
		if w := r.nextWake(t); w.Before(next) {
			next = w
		}
	}
	clear(sh.rooms[len(kept):])
	sh.rooms = kept
	return next
}

// serviceSafely services r, turning a panic into the end of that room only:
// an aborted result, every connection closed with an internal error, a log
// line with the stack. Other rooms on the shard keep ticking.
func (sh *shard) serviceSafely(r *room, now time.Time) (finished bool) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		sh.env.metrics.panics.Inc()
		sh.env.log.Error("room panicked; ending it aborted", "room", r.id, "match", r.spec.MatchID,
			"tick", r.tick.Load(), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		if r.ended {
			// Already ended: only settling can have failed.
			finished = r.settle(now)
			return
		}
		r.end(now, abortedRecord(r.spec), netcode.CodeInternal, "room failed")
		finished = r.settle(now)
	}()
	return r.service(now)
}
