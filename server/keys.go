package server

import (
	"fmt"
	"sync"
	"time"

	"github.com/pantheon-oracles/pantheon/netcode/transport"
)

// Per-seat KCP keys (PROTOCOL.md section 2.1). With Config.KCPKey set,
// the KCP listener seals every datagram and accepts only keys in the
// server's ring: each seat's join key (generation 0, handed to the lobby
// with that seat's ticket) and, once the seat has been seated n times, its
// resume key of generation n (handed to the player in the n-th welcome).
// All are derived from the master key (transport.DeriveSeatKey), so no
// seat's key opens another seat's session and none reveals the master.

// keyForgetDelay is how long a room's keys outlive it in the ring: enough
// for its clients' last datagrams (a closing writer's frames, KCP's
// linger) to be opened, though bound sessions keep their key anyway.
const keyForgetDelay = 10 * time.Second

// roomKeys are the ids of the keys a room put in the server's ring.
type roomKeys struct {
	mu  sync.Mutex
	ids map[string][transport.KeyIDSize]byte // by tag
}

// keyTag names the key of seat in room for connection generation gen; a
// sealed KCP session reports it (transport.Keyed).
func keyTag(room string, seat int, gen uint32) string {
	return fmt.Sprintf("%s/%d/%d", room, seat, gen)
}

// seatKey derives the key of seat in room for generation gen and puts it
// in the ring. It returns nil when KCP is not sealed.
func (r *room) seatKey(seat int, gen uint32) ([]byte, error) {
	ring := r.env.keys
	if ring == nil {
		return nil, nil
	}
	key, err := transport.DeriveSeatKey(r.env.cfg.kcpKey, r.id, seat, gen)
	if err != nil {
		return nil, err
	}
	tag := keyTag(r.id, seat, gen)
	id, err := ring.Add(key, tag)
	if err != nil {
		return nil, err
	}
	r.keys.mu.Lock()
	if r.keys.ids == nil {
		r.keys.ids = make(map[string][transport.KeyIDSize]byte)
	}
	r.keys.ids[tag] = id
	r.keys.mu.Unlock()
	return key, nil
}

// dropSeatKey takes seat's key of generation gen out of the ring: no new
// session opens with it (one already open keeps it).
func (r *room) dropSeatKey(seat int, gen uint32) {
	if r.env.keys == nil {
		return
	}
	tag := keyTag(r.id, seat, gen)
	r.keys.mu.Lock()
	id, ok := r.keys.ids[tag]
	delete(r.keys.ids, tag)
	r.keys.mu.Unlock()
	if ok {
		r.env.keys.Remove(id)
	}
}

// registerJoinKeys puts every seat's join key in the ring.
func (r *room) registerJoinKeys() error {
	for _, st := range r.spec.Seats {
		if _, err := r.seatKey(st.Seat, 0); err != nil {
			return fmt.Errorf("room %s: seat %d key: %w", r.id, st.Seat, err)
		}
	}
	return nil
}

// forgetKeys takes the room's keys out of the ring after keyForgetDelay.
func (r *room) forgetKeys() {
	if r.env.keys == nil {
		return
	}
	ring := r.env.keys
	r.keys.mu.Lock()
	ids := make([][transport.KeyIDSize]byte, 0, len(r.keys.ids))
	for _, id := range r.keys.ids {
		ids = append(ids, id)
	}
	clear(r.keys.ids)
	r.keys.mu.Unlock()
	time.AfterFunc(keyForgetDelay, func() {
		for _, id := range ids {
			ring.Remove(id)
		}
	})
}

// joinKey returns seat's join key (generation 0), deriving it again: the
// control API hands it out with the seat's ticket. Nil when KCP is not
// sealed.
func (s *Server) joinKey(room string, seat int) ([]byte, error) {
	if s.keys == nil {
		return nil, nil
	}
	return transport.DeriveSeatKey(s.cfg.KCPKey, room, seat, 0)
}

// checkKeyTag reports whether a connection's key tag lets it take seat in
// room as generation gen: always for unsealed transports, else only with
// that very seat's key of that generation.
func checkKeyTag(c *conn, room string, seat int, gen uint32) bool {
	k, ok := c.w.(transport.Keyed)
	if !ok {
		return true
	}
	tag := k.KeyTag()
	return tag == "" || tag == keyTag(room, seat, gen)
}
