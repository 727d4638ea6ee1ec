package contract

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/pantheon-oracles/pantheon/ecs"
)

// The room server's control API (server/CONTROL_API.md): the bodies that
// cross it, written once for the room server (which serves it and sends
// the heartbeat), the lobby (which calls it and receives the heartbeat)
// and the bench. testdata/ holds one golden JSON file per message.

// MaxSeats is the most seats a room may have (a 40-player raid fits).
const MaxSeats = ecs.MaxSeats

// MaxEndedPerHeartbeat is the most matches_ended one heartbeat carries (the
// room server sends the oldest first; the lobby refuses a longer list).
const MaxEndedPerHeartbeat = 256

// MaxTicketsPerEnded is the most lobby tickets one matches_ended entry
// names (one per seat at most, so MaxSeats).
const MaxTicketsPerEnded = MaxSeats

// Reasons a heartbeat's matches_ended entry gives (EndedMatch.Reason).
const (
	ReasonMatchOver     = "match_over"            // the room ended and its result is durable
	ReasonServerRestart = "room_server_restarted" // the room was lost in a crash and recovered from the journal as aborted
)

// Control API error codes (ControlError.Code, CONTROL_API.md "Errors").
const (
	CodeBadRequest      = "bad_request"
	CodeContentVersion  = "content_version_mismatch"
	CodeUnauthorized    = "unauthorized"
	CodeRoomNotFound    = "room_not_found"
	CodeMatchExists     = "match_exists"
	CodeServerFull      = "server_full"
	CodeDraining        = "draining"
	CodeJournal         = "journal_unavailable"
	CodeRateLimited     = "rate_limited"
	CodeInternal        = "internal"
	MaxControlBodyBytes = 1 << 20 // the largest request or response body either side reads
)

// ErrBadSpec: a create-room request is malformed (no seats, duplicate seat
// or player, ...). The control API answers 400 bad_request.
var ErrBadSpec = errors.New("bad room spec")

// ErrBadHeartbeat: a heartbeat is missing fields or has impossible values.
var ErrBadHeartbeat = errors.New("bad heartbeat")

// ControlError is the JSON body of every control API error.
type ControlError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// RoomSpec is what the lobby asks for when it creates a room: the body of
// POST /v1/rooms. The room server journals it as given.
type RoomSpec struct {
	MatchID string `json:"match_id"`
	Mode    string `json:"mode"`
	// Arena is the content id of the arena, boss or chamber; empty picks
	// the mode's default.
	Arena string `json:"arena"`
	// ContentVersion empty means the server's current content; another
	// non-empty version than the server runs is refused.
	ContentVersion string     `json:"content_version"`
	Seed           uint64     `json:"seed"`
	Seats          []SeatSpec `json:"seats"`
}

// SeatSpec is one seat of a RoomSpec.
type SeatSpec struct {
	Seat     int            `json:"seat"`
	PlayerID string         `json:"player_id"`
	Team     int            `json:"team"`
	Oracle   ecs.OracleSpec `json:"oracle"`
	// TicketID is the lobby ticket the seat's player queued with; the
	// server reports it back when the match ends (Heartbeat.MatchesEnded)
	// so the lobby can settle it. Optional.
	TicketID string `json:"ticket_id,omitempty"`
}

// Validate checks what can be checked without the content (the mode
// against the content's modes, and the rest when the simulation is built).
// Errors wrap ErrBadSpec.
func (s RoomSpec) Validate() error {
	switch {
	case s.MatchID == "" || len(s.MatchID) > 128:
		return fmt.Errorf("%w: match_id must be 1..128 bytes", ErrBadSpec)
	case s.Mode == "":
		return fmt.Errorf("%w: mode is required", ErrBadSpec)
	case len(s.Seats) == 0 || len(s.Seats) > MaxSeats:
		return fmt.Errorf("%w: %d seats, need 1..%d", ErrBadSpec, len(s.Seats), MaxSeats)
	}
	seats := make(map[int]bool, len(s.Seats))
	players := make(map[string]bool, len(s.Seats))
	for _, st := range s.Seats {
		if st.Seat < 0 || st.Seat >= MaxSeats {
			return fmt.Errorf("%w: seat %d out of 0..%d", ErrBadSpec, st.Seat, MaxSeats-1)
		}
		if st.PlayerID == "" || len(st.PlayerID) > 128 {
			return fmt.Errorf("%w: seat %d: player_id must be 1..128 bytes", ErrBadSpec, st.Seat)
		}
		if seats[st.Seat] {
			return fmt.Errorf("%w: seat %d given twice", ErrBadSpec, st.Seat)
		}
		if players[st.PlayerID] {
			return fmt.Errorf("%w: player %s seated twice", ErrBadSpec, st.PlayerID)
		}
		seats[st.Seat], players[st.PlayerID] = true, true
	}
	return nil
}

// Players returns the players of s's seats, in seat order as given.
func (s RoomSpec) Players() []string {
	out := make([]string, 0, len(s.Seats))
	for _, st := range s.Seats {
		out = append(out, st.PlayerID)
	}
	return out
}

// Tickets returns the distinct lobby tickets of s's seats, each once, in
// seat order as given.
func (s RoomSpec) Tickets() []string {
	var out []string
	seen := map[string]bool{}
	for _, st := range s.Seats {
		if st.TicketID != "" && !seen[st.TicketID] {
			seen[st.TicketID] = true
			out = append(out, st.TicketID)
		}
	}
	return out
}

// RoomCreated is the answer to POST /v1/rooms (201, or 200 when the same
// match was created before): where to connect and a join ticket per seat.
type RoomCreated struct {
	RoomID  string       `json:"room_id"`
	MatchID string       `json:"match_id"`
	KCPAddr string       `json:"kcp_addr"`
	WSURL   string       `json:"ws_url"`
	Seats   []SeatTicket `json:"seats"`
}

// SeatTicket is the join ticket the room server signed for one seat.
type SeatTicket struct {
	Seat      int       `json:"seat"`
	PlayerID  string    `json:"player_id"`
	Ticket    string    `json:"ticket"`
	ExpiresAt time.Time `json:"expires_at"`
	// KCPKey is this seat's own KCP key (base64), for this seat's player
	// and no one else; empty when KCP is plaintext.
	KCPKey string `json:"kcp_key,omitempty"`
}

// Ticket returns the seat ticket of player.
func (r RoomCreated) Ticket(player string) (SeatTicket, bool) {
	for _, s := range r.Seats {
		if s.PlayerID == player && s.Ticket != "" {
			return s, true
		}
	}
	return SeatTicket{}, false
}

// Check verifies that r answers req: a room id, an endpoint, and a ticket
// for every requested seat's player.
func (r RoomCreated) Check(req RoomSpec) error {
	if r.RoomID == "" || (r.KCPAddr == "" && r.WSURL == "") {
		return errors.New("answer lacks room_id or endpoints")
	}
	for _, s := range req.Seats {
		if _, ok := r.Ticket(s.PlayerID); !ok {
			return fmt.Errorf("answer lacks a ticket for %s", s.PlayerID)
		}
	}
	return nil
}

// RoomList is the answer to GET /v1/rooms.
type RoomList struct {
	Rooms []RoomSummary `json:"rooms"`
}

// RoomSummary is one entry of a RoomList.
type RoomSummary struct {
	RoomID  string `json:"room_id"`
	MatchID string `json:"match_id"`
	Mode    string `json:"mode"`
	State   string `json:"state"` // waiting, running or ended
	Players int    `json:"players"`
	Tick    uint32 `json:"tick"`
}

// Heartbeat is the body a room server POSTs to the lobby's
// /v1/servers/heartbeat every heartbeat interval; the lobby keeps the
// latest one (without MatchesEnded) as the server's registry entry.
type Heartbeat struct {
	ServerID       string  `json:"server_id"`
	ControlURL     string  `json:"control_url"`
	KCPAddr        string  `json:"kcp_addr"`
	WSURL          string  `json:"ws_url"`
	Region         string  `json:"region"`
	ContentVersion string  `json:"content_version"`
	MaxRooms       int     `json:"max_rooms"`
	Rooms          int     `json:"rooms"`
	Players        int     `json:"players"`
	TickP99Ms      float64 `json:"tick_p99_ms"`
	Draining       bool    `json:"draining"`
	// Seq numbers the server's heartbeat rounds from 1 (0: unknown, as
	// from older servers). A round goes to every lobby URL with the same
	// Seq, so lobby replicas sharing a store can tell a new heartbeat from
	// the same one delivered twice (the rooms placed since it are counted
	// until the next round).
	Seq uint64 `json:"seq,omitempty"`
	// MatchesEnded lists matches whose result is durable (or recovered as
	// aborted after a crash) that the lobby has not acknowledged yet, at
	// most MaxEndedPerHeartbeat, oldest first; a 2xx answer acknowledges
	// them.
	MatchesEnded []EndedMatch `json:"matches_ended,omitempty"`
}

// EndedMatch is one entry of a heartbeat's matches_ended: a match whose
// result is durable, so the lobby can settle its tickets.
type EndedMatch struct {
	MatchID string   `json:"match_id"`
	Outcome Outcome  `json:"outcome"`
	Reason  string   `json:"reason"` // ReasonMatchOver or ReasonServerRestart
	Players []string `json:"players"`
	Tickets []string `json:"tickets,omitempty"` // the seats' lobby tickets (SeatSpec.TicketID), each once
}

// Validate checks a heartbeat before it enters the lobby's registry: the
// server's identity, capacity and endpoints, and each matches_ended entry.
// Errors wrap ErrBadHeartbeat.
func (h Heartbeat) Validate() error {
	bad := func(why string) error { return fmt.Errorf("server %q: %s: %w", h.ServerID, why, ErrBadHeartbeat) }
	switch {
	case h.ServerID == "" || len(h.ServerID) > 128 || strings.ContainsAny(h.ServerID, " \t\r\n"):
		return bad("server_id must be 1..128 characters without spaces")
	case h.MaxRooms < 1 || h.Rooms < 0 || h.Players < 0 || h.TickP99Ms < 0:
		return bad("max_rooms must be >= 1 and rooms, players, tick_p99_ms >= 0")
	case h.KCPAddr == "" && h.WSURL == "":
		return bad("needs kcp_addr or ws_url")
	}
	u, err := url.Parse(h.ControlURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad("control_url must be an http(s) URL")
	}
	if len(h.MatchesEnded) > MaxEndedPerHeartbeat {
		return bad(fmt.Sprintf("matches_ended: %d entries, at most %d", len(h.MatchesEnded), MaxEndedPerHeartbeat))
	}
	for _, m := range h.MatchesEnded {
		if m.MatchID == "" || len(m.MatchID) > 128 || len(m.Tickets) > MaxTicketsPerEnded || len(m.Reason) > 64 {
			return bad(fmt.Sprintf("matches_ended: entry %q: match_id 1..128 bytes, at most %d tickets, a reason of at most 64 bytes", m.MatchID, MaxTicketsPerEnded))
		}
		if !m.Outcome.Valid() {
			return bad(fmt.Sprintf("matches_ended: match %s: unknown outcome %q", m.MatchID, m.Outcome))
		}
	}
	return nil
}
