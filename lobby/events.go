package lobby

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/lobby/store"
)

// Event types pushed on GET /v1/events.
const (
	// EventMatchFound: a room was allocated; Match says where to connect.
	EventMatchFound = "match_found"
	// EventQueueStatus: a ticket's state or wait changed.
	EventQueueStatus = "queue_status"
	// EventSessionRevoked is internal: it closes the session's push
	// connections on every replica and is never sent to clients.
	EventSessionRevoked = "session_revoked"
	// EventPlayerRevoked is internal: published on the player's topic by a
	// logout everywhere, it closes the player's push connections whose
	// token was issued at or before RevokedBefore, on every replica. It is
	// never sent to clients.
	EventPlayerRevoked = "player_revoked"
)

// Reasons given in queue_status events and ticket bodies.
const (
	// ReasonNoRoomServer: the match found no room server; its tickets were
	// requeued with their original wait. Until room servers take matches
	// again, these tickets get no further event per pass (doc.go, "No room
	// server").
	ReasonNoRoomServer = "no_room_server"
	// ReasonWaitingForServer: the matchmaker has a match for the ticket
	// but no room server can take it now; the ticket stays queued with its
	// wait, and is placed as soon as a server with room heartbeats. Sent
	// once per ticket while the shortage lasts (queue_status events only;
	// the ticket body keeps state queued).
	ReasonWaitingForServer = "waiting_for_server"
	// ReasonAssignTimeout: the match was claimed but got no room within
	// AssignDeadline (its lobby replica died or stalled); its tickets were
	// requeued with their original wait, or failed when past the ticket TTL.
	ReasonAssignTimeout = "assignment_timeout"
)

// Event is one push message, sent as a JSON text frame.
type Event struct {
	Type string `json:"type"`
	// TicketID and Mode name the ticket (queue_status, match_found).
	TicketID string `json:"ticket_id,omitempty"`
	Mode     string `json:"mode,omitempty"`
	// State is the ticket's state (queue_status): queued, matched,
	// assigned, cancelled, expired, failed.
	State store.TicketState `json:"state,omitempty"`
	// WaitedMs is how long the ticket has waited (queue_status).
	WaitedMs int64 `json:"waited_ms,omitempty"`
	// Window is the ticket's current rating window (queue_status while queued).
	Window float64 `json:"window,omitempty"`
	// Reason explains a requeue or failure (queue_status).
	Reason string `json:"reason,omitempty"`
	// Match is where to play (match_found).
	Match *Seat `json:"match,omitempty"`
	// MatchID and Outcome say which match ended and how (match_ended).
	MatchID string           `json:"match_id,omitempty"`
	Outcome contract.Outcome `json:"outcome,omitempty"`
	// SessionID is the revoked session (session_revoked, internal).
	SessionID string `json:"session_id,omitempty"`
	// RevokedBefore is the player's cutoff (player_revoked, internal).
	RevokedBefore time.Time `json:"revoked_before,omitzero"`
	// At is when the event was produced.
	At time.Time `json:"at"`
}

// Seat is one player's place in an allocated room: the endpoints, the join
// ticket the room server signed (passed through untouched) and that seat's
// own KCP key (never another seat's).
type Seat struct {
	PlayerID  string    `json:"player_id"`
	MatchID   string    `json:"match_id"`
	RoomID    string    `json:"room_id"`
	ServerID  string    `json:"server_id"`
	KCPAddr   string    `json:"kcp_addr"`
	WSURL     string    `json:"ws_url"`
	KCPKey    string    `json:"kcp_key,omitempty"`
	Seat      int       `json:"seat"`
	Team      int       `json:"team"`
	Ticket    string    `json:"ticket"`
	ExpiresAt time.Time `json:"expires_at"`
}

func playerTopic(player string) string   { return "player:" + player }
func sessionTopic(session string) string { return "session:" + session }

// publish sends ev on topic through the state store (every replica).
func (l *Lobby) publish(ctx context.Context, topic string, ev Event) error {
	if ev.At.IsZero() {
		ev.At = l.now().UTC()
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("publish %s: %w", ev.Type, err)
	}
	return l.st.Publish(ctx, topic, b)
}

// notifyPlayers publishes ev to each player, logging failures: events are
// best effort, the ticket endpoint is the source of truth.
func (l *Lobby) notifyPlayers(ctx context.Context, players []string, ev Event) {
	reason := ev.Reason
	if reason == "" {
		reason = "none"
	}
	for _, p := range players {
		l.met.events.WithLabelValues(ev.Type, reason).Inc()
		if err := l.publish(ctx, playerTopic(p), ev); err != nil {
			l.logFailure("event not published", err, "type", ev.Type, "player", p)
		}
	}
}
