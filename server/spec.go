package server

import (
	"errors"
	"fmt"

	"github.com/pantheon-oracles/pantheon/ecs"
)

// ErrBadSpec: a create-room request is malformed (unknown mode, no seats,
// duplicate seat or player, ...). The control API answers 400 bad_request.
var ErrBadSpec = errors.New("server: bad room spec")

// ErrContentVersion: the request names a content version other than the one
// this server runs. The control API answers 400 content_version_mismatch.
var ErrContentVersion = errors.New("server: content version mismatch")

// MaxSeats is the most seats a room may have (a 40-player raid fits).
const MaxSeats = 64

// RoomSpec is what the lobby asks for when it creates a room (the JSON body
// of POST /v1/rooms, CONTROL_API.md).
type RoomSpec struct {
	MatchID        string     `json:"match_id"`
	Mode           string     `json:"mode"`
	Arena          string     `json:"arena"`
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

// Validate checks what the server can check without the content (the mode
// against the content's modes, and the rest when the simulation is built).
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
