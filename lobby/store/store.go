package store

import (
	"context"
	"errors"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
)

// Sentinel errors; compare with errors.Is.
var (
	// ErrUnavailable: the backing service did not answer in time; retry later.
	ErrUnavailable = errors.New("store: unavailable")
	// ErrNotFound: no such ticket (never created, or past retention).
	ErrNotFound = errors.New("store: not found")
	// ErrQueueFull: the mode's queue is at its cap.
	ErrQueueFull = errors.New("store: queue full")
	// ErrAlreadyQueued: one of the ticket's players already has a live ticket.
	ErrAlreadyQueued = errors.New("store: player already has a live ticket")
	// ErrStateConflict: the ticket is not in the state the caller expected.
	ErrStateConflict = errors.New("store: ticket state changed")
)

// TicketState is where a ticket is in its life. Its wire (the lobby API's
// "state") and stored form is the constant's string.
type TicketState string

// Ticket states. A ticket is live while queued or matched; the others are
// terminal and release the ticket's players so they can queue again.
const (
	StateQueued    TicketState = "queued"    // in its mode's queue
	StateMatched   TicketState = "matched"   // claimed by a pass; a room is being allocated
	StateAssigned  TicketState = "assigned"  // room allocated; Assignment is set
	StateCancelled TicketState = "cancelled" // cancelled by its player
	StateExpired   TicketState = "expired"   // waited past the ticket TTL
	StateFailed    TicketState = "failed"    // no room could be allocated
	StateEnded     TicketState = "ended"     // its match ended (Outcome says how); reached from StateAssigned only
)

// String returns the state's wire string.
func (s TicketState) String() string { return string(s) }

// Terminal reports whether state releases the ticket's players.
func Terminal(state TicketState) bool {
	return state == StateAssigned || state == StateCancelled || state == StateExpired || state == StateFailed || state == StateEnded
}

// ErrBadTransition: the caller asked for a transition the store never
// makes (for example entering StateMatched other than through Claim).
var ErrBadTransition = errors.New("store: transition not allowed")

// TicketRecord is one ticket as the store keeps it. Data and Assignment are
// opaque to the store (the lobby's encodings).
type TicketRecord struct {
	ID         string
	Mode       string
	PlayerIDs  []string
	State      TicketState
	MatchID    string    // set by Claim
	ClaimedAt  time.Time // set by Claim (the caller's clock); kept after the ticket leaves StateMatched
	EnqueuedAt time.Time
	Data       []byte
	Assignment []byte           // set by Transition or Settle to StateAssigned
	Reason     string           // set by Settle: why the ticket was requeued or failed; by EndTicket: why the match ended
	Outcome    contract.Outcome // set by EndTicket: the match's outcome
}

// Outcome is how Settle ends a claim: the state the ticket moves to
// (StateAssigned, StateQueued to requeue, StateFailed or StateExpired), the
// assignment for StateAssigned, and a reason kept in the record.
type Outcome struct {
	State      TicketState
	Assignment []byte
	Reason     string
}

// Queues keeps tickets and one queue per mode.
type Queues interface {
	// Enqueue stores rec in state StateQueued (rec.State is ignored) and adds
	// it to rec.Mode's queue, atomically refusing with ErrQueueFull when the
	// queue already holds maxLen tickets and with ErrAlreadyQueued when any
	// of rec.PlayerIDs has a live ticket.
	Enqueue(ctx context.Context, rec TicketRecord, maxLen int) error
	// Ticket returns one ticket record or ErrNotFound. Records stay readable
	// for the store's retention after their last change.
	Ticket(ctx context.Context, id string) (TicketRecord, error)
	// Queued returns a snapshot of mode's queue (tickets in StateQueued), in
	// no particular order.
	Queued(ctx context.Context, mode string) ([]TicketRecord, error)
	// QueueLen returns how many tickets mode's queue holds.
	QueueLen(ctx context.Context, mode string) (int, error)
	// Claim atomically moves every ticket of ids from StateQueued to
	// StateMatched under matchID, claimed at now, out of mode's queue and
	// into mode's claimed index (see Stuck), or changes nothing and returns
	// false when any of them is no longer queued. Two concurrent claims
	// sharing a ticket never both succeed.
	Claim(ctx context.Context, mode, matchID string, ids []string, now time.Time) (bool, error)
	// Settle atomically ends ticket id's claim by match matchID with out:
	// it succeeds only while the ticket is in StateMatched under matchID,
	// and returns ErrStateConflict otherwise (already settled, swept, or
	// requeued and claimed again by another match), ErrNotFound for an
	// unknown id, ErrBadTransition for out.State StateMatched. The ticket
	// leaves the claimed index; StateQueued puts it back in its queue with
	// its original enqueue time; a terminal state releases its players;
	// StateAssigned stores out.Assignment; out.Reason is recorded. Of
	// several concurrent Settles of one claim exactly one succeeds.
	Settle(ctx context.Context, id, matchID string, out Outcome) error
	// Stuck returns up to limit tickets of mode in StateMatched whose claim
	// is older than claimedBefore, oldest claim first: claims whose replica
	// died before settling them. The caller settles each (with the MatchID
	// it read), so racing sweepers cannot both act on one claim.
	Stuck(ctx context.Context, mode string, claimedBefore time.Time, limit int) ([]TicketRecord, error)
	// Transition atomically moves ticket id from state from to state to, or
	// returns ErrStateConflict (ErrNotFound for an unknown id,
	// ErrBadTransition when to is StateMatched: only Claim enters it).
	// Leaving StateQueued removes the ticket from its queue; leaving
	// StateMatched removes it from the claimed index; entering StateQueued
	// (a requeue after a failed allocation) puts it back with its original
	// enqueue time; a terminal state releases its players; StateAssigned
	// stores assignment. It does not check which match holds a claim: the
	// lobby settles claims with Settle.
	Transition(ctx context.Context, id string, from, to TicketState, assignment []byte) error
	// EndTicket moves ticket id from StateAssigned under matchID to
	// StateEnded with outcome and reason, renewing its retention. It
	// returns ErrStateConflict when the ticket is not assigned to matchID
	// (already ended: a repeated report; or never assigned to it) and
	// ErrNotFound for an unknown id (or one past its retention).
	EndTicket(ctx context.Context, id, matchID string, outcome contract.Outcome, reason string) error
	// PlayerTicket returns the id of player's live ticket (queued or
	// matched), "" when it has none.
	PlayerTicket(ctx context.Context, player string) (string, error)
	// States returns the state of each ticket of ids, in order, "" for a
	// ticket the store does not hold (never created, past its retention,
	// or lost: a Redis restarted empty or a key evicted). One round trip.
	States(ctx context.Context, ids []string) ([]TicketState, error)
}

// Revocation is what the revocation list says about one access token.
type Revocation struct {
	// Session reports whether the token's session is revoked.
	Session bool
	// Before is the player's cutoff: every access token of the player
	// issued at or before it is revoked. Zero when there is none.
	Before time.Time
}

// Revocations is the list of revoked sessions (access-token session ids)
// and of players whose older tokens are all revoked (logout everywhere).
type Revocations interface {
	// Revoke marks session revoked for ttl (the access-token lifetime).
	Revoke(ctx context.Context, session string, ttl time.Duration) error
	// Revoked reports whether session is revoked.
	Revoked(ctx context.Context, session string) (bool, error)
	// RevokePlayer revokes every access token of player issued at or
	// before before, for ttl (the access-token lifetime: older tokens have
	// expired by then). A later cutoff replaces an earlier one; an earlier
	// one never lowers a later one.
	RevokePlayer(ctx context.Context, player string, before time.Time, ttl time.Duration) error
	// Revocation returns whether session is revoked and player's cutoff, in
	// one round trip.
	Revocation(ctx context.Context, session, player string) (Revocation, error)
}

// Limit is a token bucket: Rate tokens per second, up to Burst at once.
type Limit struct {
	Rate  float64
	Burst int
}

// Limiter is a keyed rate limiter shared by every replica using the store.
type Limiter interface {
	// Allow takes one token from key's bucket at now. When none is left it
	// returns false and how long until one is.
	Allow(ctx context.Context, key string, l Limit, now time.Time) (ok bool, retryAfter time.Duration, err error)
}

// ServerRecord is one room server's last heartbeat. Data is opaque to the
// store (the lobby's encoding).
type ServerRecord struct {
	ID        string
	ExpiresAt time.Time
	Data      []byte
	// Seq is the heartbeat's round number (contract.Heartbeat.Seq): a room
	// server sends the same round to every lobby replica, so a replica
	// storing a round another one stored already keeps Placed. 0 means
	// unknown (every PutServer resets Placed).
	Seq uint64
	// Placed is how many rooms lobby replicas placed on the server since
	// its last heartbeat (AddPlaced); set by Servers, ignored by PutServer.
	Placed int
}

// Registry holds live room servers and the rooms placed on each since its
// last heartbeat, shared by every replica using the store.
type Registry interface {
	// PutServer stores or replaces rec (keyed by rec.ID), atomically
	// resetting the server's placed count to zero unless rec.Seq is not 0
	// and equal to the stored record's Seq.
	PutServer(ctx context.Context, rec ServerRecord) error
	// AddPlaced counts one room placed on server id since its last
	// heartbeat.
	AddPlaced(ctx context.Context, id string) error
	// Servers returns the records with ExpiresAt after now, ordered by ID,
	// each with its placed count.
	Servers(ctx context.Context, now time.Time) ([]ServerRecord, error)
}

// Leases are named, expiring locks (one matchmaker per queue at a time).
type Leases interface {
	// Lease acquires name for owner, or renews it when owner already holds
	// it, until ttl from now. It returns false while another owner holds it.
	Lease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
}

// Subscription receives the payloads published on one topic.
type Subscription interface {
	// C delivers payloads in publish order. A subscriber that falls behind
	// its buffer loses payloads (see the implementation) rather than
	// blocking others.
	C() <-chan []byte
	// Close stops delivery; C is not closed.
	Close()
}

// Events fans payloads out to subscribers on any replica.
type Events interface {
	// Publish sends payload to every current subscriber of topic.
	Publish(ctx context.Context, topic string, payload []byte) error
	// Subscribe starts receiving topic. When it returns without error, every
	// later Publish on topic reaches the subscription.
	Subscribe(ctx context.Context, topic string) (Subscription, error)
}

// Store is all of the lobby's shared state.
type Store interface {
	Queues
	Revocations
	Limiter
	Registry
	Leases
	Events
	Flags
	// Ping reports whether the store answers (ErrUnavailable when not).
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}
