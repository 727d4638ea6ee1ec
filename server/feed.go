package server

import (
	"sync"

	"github.com/pantheon-oracles/pantheon/contract"
)

// maxEndedFeed bounds the ended matches waiting to be reported to the
// lobby (contract.MaxEndedPerHeartbeat is how many one heartbeat carries).
const maxEndedFeed = 100_000

// endedFeed is the list of ended matches not yet acknowledged by the
// lobby. Overflow policy: at cap, the oldest entry is dropped and counted
// (pantheon_room_matches_ended_dropped_total); its tickets then stay
// assigned in the lobby. Heartbeats carry the oldest entries; a 2xx answer
// acknowledges them. Safe for concurrent use.
type endedFeed struct {
	mu      sync.Mutex
	list    []contract.EndedMatch
	cap     int
	dropped func()
}

func newEndedFeed(capacity int) *endedFeed { return &endedFeed{cap: capacity} }

// add appends m; a feed of capacity 0 (no lobby to tell) keeps nothing.
func (f *endedFeed) add(m contract.EndedMatch) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cap == 0 {
		return
	}
	if len(f.list) >= f.cap {
		f.list = f.list[1:]
		if f.dropped != nil {
			f.dropped()
		}
	}
	f.list = append(f.list, m)
}

// peek returns up to n of the oldest entries.
func (f *endedFeed) peek(n int) []contract.EndedMatch {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]contract.EndedMatch(nil), f.list[:min(n, len(f.list))]...)
}

// ack removes the entries in sent (the oldest, unless some were dropped
// meanwhile).
func (f *endedFeed) ack(sent []contract.EndedMatch) {
	if len(sent) == 0 {
		return
	}
	done := make(map[string]bool, len(sent))
	for _, m := range sent {
		done[m.MatchID] = true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	kept := f.list[:0]
	for _, m := range f.list {
		if !done[m.MatchID] {
			kept = append(kept, m)
		}
	}
	clear(f.list[len(kept):])
	f.list = kept
}

func (f *endedFeed) len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.list)
}
