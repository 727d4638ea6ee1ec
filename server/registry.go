package server

import (
	"errors"
	"sort"
	"sync"
)

// Registry errors, mapped by the control API to HTTP answers.
var (
	// ErrRoomNotFound: no room with that id is hosted here (404 room_not_found).
	ErrRoomNotFound = errors.New("server: room not found")
	// ErrServerFull: the server hosts Config.MaxRooms rooms (503 server_full).
	ErrServerFull = errors.New("server: server full")
	// ErrDraining: the server is draining and takes no new rooms (503 draining).
	ErrDraining = errors.New("server: draining")
)

// registry maps room and match ids to the rooms this process hosts. It is
// safe for concurrent use; its lock is never held across I/O or a tick.
type registry struct {
	mu       sync.Mutex
	byID     map[string]*room
	byMatch  map[string]*room
	max      int
	draining bool
}

func newRegistry(max int) *registry {
	return &registry{byID: make(map[string]*room), byMatch: make(map[string]*room), max: max}
}

// add registers r unless a room for the same match exists (returned with
// existed=true), the server is full or draining.
func (g *registry) add(r *room) (got *room, existed bool, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if old, ok := g.byMatch[r.spec.MatchID]; ok {
		return old, true, nil
	}
	if g.draining {
		return nil, false, ErrDraining
	}
	if len(g.byID) >= g.max {
		return nil, false, ErrServerFull
	}
	g.byID[r.id] = r
	g.byMatch[r.spec.MatchID] = r
	return r, false, nil
}

// lookupMatch returns the room created for matchID, if any.
func (g *registry) lookupMatch(matchID string) (*room, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	r, ok := g.byMatch[matchID]
	return r, ok
}

// get returns the room with id.
func (g *registry) get(id string) (*room, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	r, ok := g.byID[id]
	return r, ok
}

// remove forgets r (its result has been handed on).
func (g *registry) remove(r *room) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.byID[r.id] == r {
		delete(g.byID, r.id)
		delete(g.byMatch, r.spec.MatchID)
	}
}

// setDraining stops add from taking rooms.
func (g *registry) setDraining() {
	g.mu.Lock()
	g.draining = true
	g.mu.Unlock()
}

// isDraining reports whether setDraining was called.
func (g *registry) isDraining() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.draining
}

// rooms returns every hosted room ordered by id.
func (g *registry) rooms() []*room {
	g.mu.Lock()
	out := make([]*room, 0, len(g.byID))
	for _, r := range g.byID {
		out = append(out, r)
	}
	g.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// len returns how many rooms are hosted.
func (g *registry) len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.byID)
}
