package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"golang.org/x/time/rate"
)

// MemoryConfig configures a Memory store. Zero fields take their defaults.
type MemoryConfig struct {
	// Retention keeps ticket records readable after their last change.
	// Default 10 minutes.
	Retention time.Duration
	// SubscriberBuffer is each subscription's buffer, in payloads; a full
	// buffer drops new payloads for that subscriber. Default 64.
	SubscriberBuffer int
	// Now is the clock for TTLs. Default time.Now.
	Now func() time.Time
}

func (c MemoryConfig) withDefaults() MemoryConfig {
	if c.Retention <= 0 {
		c.Retention = 10 * time.Minute
	}
	if c.SubscriberBuffer <= 0 {
		c.SubscriberBuffer = 64
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Memory is the in-process Store: a single lobby's default. It is safe for
// concurrent use; all state is guarded by one mutex, except limiter buckets
// which lock themselves.
type Memory struct {
	cfg MemoryConfig

	mu        sync.Mutex
	tickets   map[string]*memTicket
	queues    map[string]map[string]struct{} // mode -> queued ticket ids
	claimed   map[string]map[string]struct{} // mode -> matched ticket ids
	players   map[string]string              // player -> live ticket id
	revoked   map[string]time.Time           // session -> expiry
	cutoffs   map[string]memCutoff           // player -> revoked-before cutoff
	limiters  map[string]*memBucket
	servers   map[string]ServerRecord
	leases    map[string]memLease
	subs      map[string]map[*memSub]struct{}
	flags     memFlags // flags.go
	writes    int
	dropCount int
}

type memTicket struct {
	rec     TicketRecord
	expires time.Time
}

type memBucket struct {
	lim  *rate.Limiter
	l    Limit
	seen time.Time
}

type memCutoff struct {
	before  time.Time
	expires time.Time
}

type memLease struct {
	owner   string
	expires time.Time
}

// NewMemory returns an empty in-memory store.
func NewMemory(cfg MemoryConfig) *Memory {
	return &Memory{
		cfg:      cfg.withDefaults(),
		tickets:  map[string]*memTicket{},
		queues:   map[string]map[string]struct{}{},
		claimed:  map[string]map[string]struct{}{},
		players:  map[string]string{},
		revoked:  map[string]time.Time{},
		cutoffs:  map[string]memCutoff{},
		limiters: map[string]*memBucket{},
		servers:  map[string]ServerRecord{},
		leases:   map[string]memLease{},
		subs:     map[string]map[*memSub]struct{}{},
	}
}

func cloneRecord(r TicketRecord) TicketRecord {
	r.PlayerIDs = slices.Clone(r.PlayerIDs)
	r.Data = slices.Clone(r.Data)
	r.Assignment = slices.Clone(r.Assignment)
	return r
}

// sweepLocked drops expired records, revocations, buckets and servers every
// 1024 writes, so memory stays bounded without a background goroutine.
// The caller holds m.mu.
func (m *Memory) sweepLocked(now time.Time) {
	m.writes++
	if m.writes%1024 != 0 {
		return
	}
	for id, t := range m.tickets {
		if !Terminal(t.rec.State) || now.Before(t.expires) {
			continue
		}
		delete(m.tickets, id)
	}
	for s, exp := range m.revoked {
		if !now.Before(exp) {
			delete(m.revoked, s)
		}
	}
	for p, c := range m.cutoffs {
		if !now.Before(c.expires) {
			delete(m.cutoffs, p)
		}
	}
	for id, s := range m.servers {
		if !now.Before(s.ExpiresAt.Add(time.Hour)) {
			delete(m.servers, id)
		}
	}
	for k, b := range m.limiters {
		if now.Sub(b.seen) > time.Hour {
			delete(m.limiters, k)
		}
	}
}

// Enqueue implements Queues.
func (m *Memory) Enqueue(_ context.Context, rec TicketRecord, maxLen int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.cfg.Now()
	m.sweepLocked(now)
	if _, ok := m.tickets[rec.ID]; ok {
		return fmt.Errorf("enqueue %s: id exists: %w", rec.ID, ErrStateConflict)
	}
	q := m.queues[rec.Mode]
	if len(q) >= maxLen {
		return fmt.Errorf("enqueue %s: %s holds %d: %w", rec.ID, rec.Mode, len(q), ErrQueueFull)
	}
	for _, p := range rec.PlayerIDs {
		if id, ok := m.players[p]; ok {
			return fmt.Errorf("enqueue %s: player %s has ticket %s: %w", rec.ID, p, id, ErrAlreadyQueued)
		}
	}
	if q == nil {
		q = map[string]struct{}{}
		m.queues[rec.Mode] = q
	}
	rec = cloneRecord(rec)
	rec.State, rec.MatchID, rec.Assignment = StateQueued, "", nil
	q[rec.ID] = struct{}{}
	for _, p := range rec.PlayerIDs {
		m.players[p] = rec.ID
	}
	m.tickets[rec.ID] = &memTicket{rec: rec, expires: now.Add(m.cfg.Retention)}
	return nil
}

// Ticket implements Queues.
func (m *Memory) Ticket(_ context.Context, id string) (TicketRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tickets[id]
	if !ok || (Terminal(t.rec.State) && !m.cfg.Now().Before(t.expires)) {
		return TicketRecord{}, fmt.Errorf("ticket %s: %w", id, ErrNotFound)
	}
	return cloneRecord(t.rec), nil
}

// PlayerTicket implements Queues.
func (m *Memory) PlayerTicket(_ context.Context, player string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.players[player], nil
}

// Queued implements Queues.
func (m *Memory) Queued(_ context.Context, mode string) ([]TicketRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]TicketRecord, 0, len(m.queues[mode]))
	for id := range m.queues[mode] {
		out = append(out, cloneRecord(m.tickets[id].rec))
	}
	return out, nil
}

// QueueLen implements Queues.
func (m *Memory) QueueLen(_ context.Context, mode string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.queues[mode]), nil
}

// Claim implements Queues.
func (m *Memory) Claim(_ context.Context, mode, matchID string, ids []string, claimedAt time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	q := m.queues[mode]
	for _, id := range ids {
		if _, ok := q[id]; !ok {
			return false, nil
		}
	}
	now := m.cfg.Now()
	idx := m.claimed[mode]
	if idx == nil {
		idx = map[string]struct{}{}
		m.claimed[mode] = idx
	}
	for _, id := range ids {
		delete(q, id)
		idx[id] = struct{}{}
		t := m.tickets[id]
		t.rec.State, t.rec.MatchID, t.rec.ClaimedAt = StateMatched, matchID, claimedAt
		t.expires = now.Add(m.cfg.Retention)
	}
	return true, nil
}

// Settle implements Queues.
func (m *Memory) Settle(_ context.Context, id, matchID string, out Outcome) error {
	if out.State == StateMatched {
		return fmt.Errorf("ticket %s: settle to %s: %w", id, out.State, ErrBadTransition)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	t, now, err := m.findLocked(id)
	if err != nil {
		return err
	}
	if t.rec.State != StateMatched || t.rec.MatchID != matchID {
		return fmt.Errorf("ticket %s: %s under %q, not matched under %q: %w", id, t.rec.State, t.rec.MatchID, matchID, ErrStateConflict)
	}
	t.rec.Reason = out.Reason
	m.moveLocked(t, StateMatched, out.State, out.Assignment, now)
	return nil
}

// Stuck implements Queues.
func (m *Memory) Stuck(_ context.Context, mode string, claimedBefore time.Time, limit int) ([]TicketRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []TicketRecord
	for id := range m.claimed[mode] {
		if t := m.tickets[id]; t.rec.ClaimedAt.Before(claimedBefore) {
			out = append(out, cloneRecord(t.rec))
		}
	}
	slices.SortFunc(out, func(a, b TicketRecord) int {
		if c := a.ClaimedAt.Compare(b.ClaimedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if len(out) > limit {
		out = out[:max(limit, 0)]
	}
	return out, nil
}

// Transition implements Queues.
func (m *Memory) Transition(_ context.Context, id string, from, to TicketState, assignment []byte) error {
	if to == StateMatched {
		return fmt.Errorf("ticket %s: transition to %s: %w", id, to, ErrBadTransition)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	t, now, err := m.findLocked(id)
	if err != nil {
		return err
	}
	if t.rec.State != from {
		return fmt.Errorf("ticket %s: %s, not %s: %w", id, t.rec.State, from, ErrStateConflict)
	}
	m.moveLocked(t, from, to, assignment, now)
	return nil
}

// States implements Queues.
func (m *Memory) States(_ context.Context, ids []string) ([]TicketState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.cfg.Now()
	out := make([]TicketState, len(ids))
	for i, id := range ids {
		if t, ok := m.tickets[id]; ok && !(Terminal(t.rec.State) && !now.Before(t.expires)) {
			out[i] = t.rec.State
		}
	}
	return out, nil
}

// Forget drops every ticket, queue and player index, as a Redis restarted
// without persistence would (tests of lost queue state).
func (m *Memory) Forget() {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.tickets)
	clear(m.queues)
	clear(m.claimed)
	clear(m.players)
}

// EndTicket implements Queues.
func (m *Memory) EndTicket(_ context.Context, id, matchID string, outcome contract.Outcome, reason string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, now, err := m.findLocked(id)
	if err != nil {
		return err
	}
	if !now.Before(t.expires) && Terminal(t.rec.State) {
		return fmt.Errorf("ticket %s: %w", id, ErrNotFound)
	}
	if t.rec.State != StateAssigned || t.rec.MatchID != matchID {
		return fmt.Errorf("ticket %s: %s under %q, not assigned under %q: %w", id, t.rec.State, t.rec.MatchID, matchID, ErrStateConflict)
	}
	t.rec.Outcome, t.rec.Reason = outcome, reason
	m.moveLocked(t, StateAssigned, StateEnded, nil, now)
	return nil
}

// findLocked returns ticket id (ErrNotFound when there is none) and the
// time, sweeping first. The caller holds m.mu.
func (m *Memory) findLocked(id string) (*memTicket, time.Time, error) {
	now := m.cfg.Now()
	m.sweepLocked(now)
	t, ok := m.tickets[id]
	if !ok {
		return nil, now, fmt.Errorf("ticket %s: %w", id, ErrNotFound)
	}
	return t, now, nil
}

// moveLocked moves t from state from (its current state) to state to,
// keeping the queue, claimed index and player indexes in step. The caller
// holds m.mu.
func (m *Memory) moveLocked(t *memTicket, from, to TicketState, assignment []byte, now time.Time) {
	id := t.rec.ID
	switch from {
	case StateQueued:
		delete(m.queues[t.rec.Mode], id)
	case StateMatched:
		delete(m.claimed[t.rec.Mode], id)
	default:
		// a terminal state is in no queue and no claimed index
	}
	if to == StateQueued {
		q := m.queues[t.rec.Mode]
		if q == nil {
			q = map[string]struct{}{}
			m.queues[t.rec.Mode] = q
		}
		q[id] = struct{}{}
	}
	if to == StateAssigned {
		t.rec.Assignment = slices.Clone(assignment)
	}
	if Terminal(to) {
		for _, p := range t.rec.PlayerIDs {
			if m.players[p] == id {
				delete(m.players, p)
			}
		}
	}
	t.rec.State = to
	t.expires = now.Add(m.cfg.Retention)
}

// Revoke implements Revocations.
func (m *Memory) Revoke(_ context.Context, session string, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.cfg.Now()
	m.sweepLocked(now)
	m.revoked[session] = now.Add(ttl)
	return nil
}

// Revoked implements Revocations.
func (m *Memory) Revoked(_ context.Context, session string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	exp, ok := m.revoked[session]
	return ok && m.cfg.Now().Before(exp), nil
}

// RevokePlayer implements Revocations.
func (m *Memory) RevokePlayer(_ context.Context, player string, before time.Time, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.cfg.Now()
	m.sweepLocked(now)
	if c, ok := m.cutoffs[player]; ok && now.Before(c.expires) && !c.before.Before(before) {
		return nil
	}
	m.cutoffs[player] = memCutoff{before: before, expires: now.Add(ttl)}
	return nil
}

// Revocation implements Revocations.
func (m *Memory) Revocation(_ context.Context, session, player string) (Revocation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.cfg.Now()
	var r Revocation
	if exp, ok := m.revoked[session]; ok && now.Before(exp) {
		r.Session = true
	}
	if c, ok := m.cutoffs[player]; ok && now.Before(c.expires) {
		r.Before = c.before
	}
	return r, nil
}

// Allow implements Limiter with golang.org/x/time/rate buckets.
func (m *Memory) Allow(_ context.Context, key string, l Limit, now time.Time) (bool, time.Duration, error) {
	m.mu.Lock()
	m.sweepLocked(now)
	b, ok := m.limiters[key]
	if !ok || b.l != l {
		b = &memBucket{lim: rate.NewLimiter(rate.Limit(l.Rate), l.Burst), l: l}
		m.limiters[key] = b
	}
	b.seen = now
	m.mu.Unlock()
	r := b.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Second, nil
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d, nil
	}
	return true, 0, nil
}

// PutServer implements Registry.
func (m *Memory) PutServer(_ context.Context, rec ServerRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweepLocked(m.cfg.Now())
	rec.Data = slices.Clone(rec.Data)
	rec.Placed = 0
	if old, ok := m.servers[rec.ID]; ok && rec.Seq != 0 && rec.Seq == old.Seq {
		rec.Placed = old.Placed
	}
	m.servers[rec.ID] = rec
	return nil
}

// AddPlaced implements Registry.
func (m *Memory) AddPlaced(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.servers[id]; ok {
		s.Placed++
		m.servers[id] = s
	}
	return nil
}

// Servers implements Registry.
func (m *Memory) Servers(_ context.Context, now time.Time) ([]ServerRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []ServerRecord
	for _, s := range m.servers {
		if s.ExpiresAt.After(now) {
			s.Data = slices.Clone(s.Data)
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b ServerRecord) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return out, nil
}

// Lease implements Leases.
func (m *Memory) Lease(_ context.Context, name, owner string, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.cfg.Now()
	if l, ok := m.leases[name]; ok && l.owner != owner && now.Before(l.expires) {
		return false, nil
	}
	m.leases[name] = memLease{owner: owner, expires: now.Add(ttl)}
	return true, nil
}

// memSub is one Memory subscription.
type memSub struct {
	m     *Memory
	topic string
	c     chan []byte
}

func (s *memSub) C() <-chan []byte { return s.c }

func (s *memSub) Close() {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	delete(s.m.subs[s.topic], s)
	if len(s.m.subs[s.topic]) == 0 {
		delete(s.m.subs, s.topic)
	}
}

// Publish implements Events. A subscriber whose buffer is full misses the
// payload (counted by Dropped).
func (m *Memory) Publish(_ context.Context, topic string, payload []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for s := range m.subs[topic] {
		select {
		case s.c <- slices.Clone(payload):
		default:
			m.dropCount++
		}
	}
	return nil
}

// Subscribe implements Events.
func (m *Memory) Subscribe(_ context.Context, topic string) (Subscription, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := &memSub{m: m, topic: topic, c: make(chan []byte, m.cfg.SubscriberBuffer)}
	if m.subs[topic] == nil {
		m.subs[topic] = map[*memSub]struct{}{}
	}
	m.subs[topic][s] = struct{}{}
	return s, nil
}

// Dropped returns how many payloads were dropped on full subscriber buffers.
func (m *Memory) Dropped() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.dropCount
}

// Ping implements Store; memory always answers.
func (m *Memory) Ping(context.Context) error { return nil }

// Close implements Store.
func (m *Memory) Close() error { return nil }

var _ Store = (*Memory)(nil)
