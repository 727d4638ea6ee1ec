package lobby

import (
	"hash/fnv"
	"slices"
	"strconv"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/lobby/match"
)

// capacityWait is one mode's back-off while no room server can take its
// matches (doc.go, "No room server"). It starts when a pass finds no
// candidate server for the matches it formed, or when a placement fails
// because none accepted; it ends when a pass places what it tried without
// such a failure.
//
// While it lasts, a pass forms matches as usual (and expires old tickets)
// but claims none of them while the candidate servers are unchanged
// (fingerprint) and the back-off has not run out; past Config.CapacityRetry
// it probes with one match, unless there is no candidate at all. A change
// of the candidates (a server appears, frees a room, stops draining) ends
// the hold at the next pass.
type capacityWait struct {
	fp    uint64    // candidates' fingerprint when the hold was last renewed
	until time.Time // no placement before this unless the fingerprint changes
	since time.Time // start of the episode, for the log
	// told holds the tickets that got their one event of the episode
	// (waiting_for_server, or no_room_server from a failed placement); they
	// get no further queue_status of a claim or requeue until it ends.
	// Tickets no longer queued are pruned each pass, so it is bounded by
	// the mode's queue.
	told map[string]bool
}

// capacityFingerprint summarises what decides whether a placement can
// succeed: the candidate servers (fleet.Placer.Rank's output) with their free
// rooms. Load figures that move with every heartbeat (players, tick p99)
// are left out, so an unchanged fleet keeps its fingerprint.
func capacityFingerprint(ranked []contract.Heartbeat) uint64 {
	h := fnv.New64a()
	ids := make([]string, 0, len(ranked))
	byID := map[string]contract.Heartbeat{}
	for _, s := range ranked {
		ids = append(ids, s.ServerID)
		byID[s.ServerID] = s
	}
	slices.Sort(ids)
	for _, id := range ids {
		s := byID[id]
		_, _ = h.Write([]byte(id + "\x00" + s.ControlURL + "\x00" + s.ContentVersion + "\x00" + strconv.Itoa(s.MaxRooms-s.Rooms) + "\x01"))
	}
	return h.Sum64()
}

// capacityPlan is what one pass does with the matches it formed.
type capacityPlan struct {
	place []match.Match   // the matches to claim and place
	held  []match.Match   // formed but held: no server can take them now
	quiet map[string]bool // tickets told in this episode: no claim/requeue events
	fresh []match.Ticket  // held tickets not told yet: each gets waiting_for_server
	fp    uint64          // the candidates' fingerprint
}

// planPlacement decides, under l.mu, which of formed to place given the
// candidate servers ranked, and starts or renews the mode's hold when
// nothing can succeed. queued are the ids of the tickets in the pass's
// snapshot (to prune the episode's told set).
func (l *Lobby) planPlacement(mode string, formed []match.Match, ranked []contract.Heartbeat, queued map[string]bool, now time.Time) capacityPlan {
	p := capacityPlan{fp: capacityFingerprint(ranked)}
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.waits[mode]
	if w != nil {
		for id := range w.told {
			if !queued[id] {
				delete(w.told, id)
			}
		}
	}
	defer func() { l.met.waitingMatches.WithLabelValues(mode).Set(float64(len(p.held))) }()
	switch {
	case len(formed) == 0:
		return p
	case len(ranked) == 0:
		// Nothing can succeed: hold every match, claim nothing.
		if w == nil {
			w = l.startWait(mode, now, p.fp, "no room server is registered with room for this mode", len(formed))
		}
		w.fp, w.until = p.fp, now.Add(l.cfg.CapacityRetry)
		p.held = formed
	case w == nil || w.fp != p.fp:
		// Capacity as far as the lobby knows, or changed since the last
		// failure: try everything.
		p.place = formed
	case now.Before(w.until):
		p.held = formed
	default:
		// Backed off long enough with the same candidates: probe with one.
		w.until = now.Add(l.cfg.CapacityRetry)
		p.place, p.held = formed[:1], formed[1:]
	}
	if w == nil {
		return p
	}
	p.quiet = map[string]bool{}
	for id := range w.told {
		p.quiet[id] = true
	}
	for _, m := range p.held {
		for _, t := range m.Tickets() {
			if !w.told[t.ID] {
				w.told[t.ID] = true
				p.fresh = append(p.fresh, t)
			}
		}
	}
	return p
}

// startWait starts mode's episode; l.mu is held.
func (l *Lobby) startWait(mode string, now time.Time, fp uint64, why string, matches int) *capacityWait {
	w := &capacityWait{fp: fp, since: now, told: map[string]bool{}}
	l.waits[mode] = w
	l.log.Warn("no room server can take matches; holding them until capacity changes", "mode", mode, "matches", matches, "why", why,
		"retry", l.cfg.CapacityRetry)
	return w
}

// placed settles the episode after a pass's placements: a capacity failure
// starts or renews the hold with fp and marks requeued (told no_room_server)
// as told; a pass that placed a match without one ends it, so the next
// pass places everything.
func (l *Lobby) placed(mode string, capacityFailures, assigned int, requeued []string, fp uint64, firstErr error, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.waits[mode]
	if capacityFailures > 0 {
		if w == nil {
			why := "every placement failed"
			if firstErr != nil {
				why = firstErr.Error()
			}
			w = l.startWait(mode, now, fp, why, capacityFailures)
		}
		w.fp, w.until = fp, now.Add(l.cfg.CapacityRetry)
		for _, id := range requeued {
			w.told[id] = true
		}
		return
	}
	if w != nil && assigned > 0 {
		delete(l.waits, mode)
		l.log.Info("room servers take matches again", "mode", mode, "waited", now.Sub(w.since))
	}
}
