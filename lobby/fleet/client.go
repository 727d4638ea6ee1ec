package fleet

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/pantheon-oracles/pantheon/ecs"
)

// Errors from room creation; compare with errors.Is.
var (
	// ErrNoServer: no server could take the room.
	ErrNoServer = errors.New("fleet: no room server available")
	// ErrServerBusy: the server answered 503 (server_full or draining).
	ErrServerBusy = errors.New("fleet: room server full or draining")
	// ErrRefused: the server refused the request (4xx other than 409).
	ErrRefused = errors.New("fleet: room server refused the request")
	// ErrUnreachable: the server did not answer in time or answered garbage.
	ErrUnreachable = errors.New("fleet: room server unreachable")
)

// Seat is one player's place in a room request.
type Seat struct {
	Seat     int            `json:"seat"`
	PlayerID string         `json:"player_id"`
	Team     int            `json:"team"`
	Oracle   ecs.OracleSpec `json:"oracle"`
	TicketID string         `json:"ticket_id,omitempty"` // the lobby ticket the seat's player queued with
}

// CreateRoom is the body of POST /v1/rooms.
type CreateRoom struct {
	MatchID        string `json:"match_id"`
	Mode           string `json:"mode"`
	Arena          string `json:"arena"`
	ContentVersion string `json:"content_version"`
	Seed           uint64 `json:"seed"`
	Seats          []Seat `json:"seats"`
}

// SeatTicket is a join ticket the room server signed for one seat.
type SeatTicket struct {
	Seat      int       `json:"seat"`
	PlayerID  string    `json:"player_id"`
	Ticket    string    `json:"ticket"`
	ExpiresAt time.Time `json:"expires_at"`
	// KCPKey is the seat's own KCP key (base64; empty when the server's
	// KCP is plaintext): it goes to this seat's player and no one else.
	KCPKey string `json:"kcp_key,omitempty"`
}

// Room is the answer to POST /v1/rooms.
type Room struct {
	RoomID  string       `json:"room_id"`
	MatchID string       `json:"match_id"`
	KCPAddr string       `json:"kcp_addr"`
	WSURL   string       `json:"ws_url"`
	Seats   []SeatTicket `json:"seats"`
}

// apiError is the control API's error body.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Client calls room servers' control API. It is safe for concurrent use.
type Client struct {
	secret string
	http   *http.Client
}

// NewClient returns a client that authenticates with the fleet secret and
// bounds each call by timeout.
func NewClient(secret string, timeout time.Duration) *Client {
	return &Client{secret: secret, http: &http.Client{Timeout: timeout}}
}

// CheckSecret reports whether an Authorization header carries secret, in
// constant time.
func CheckSecret(header, secret string) bool {
	got, ok := strings.CutPrefix(header, "Bearer ")
	return ok && secret != "" && subtle.ConstantTimeCompare([]byte(got), []byte(secret)) == 1
}

// CreateRoom asks the server at controlURL to create req's room. 201 and 200
// (the same match id created before) both return the room.
func (c *Client) CreateRoom(ctx context.Context, controlURL string, req CreateRoom) (Room, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return Room{}, fmt.Errorf("create room %s: %w", req.MatchID, err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(controlURL, "/")+"/v1/rooms", bytes.NewReader(body))
	if err != nil {
		return Room{}, fmt.Errorf("create room %s: %w", req.MatchID, err)
	}
	hr.Header.Set("Authorization", "Bearer "+c.secret)
	hr.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(hr)
	if err != nil {
		return Room{}, fmt.Errorf("create room %s on %s: %w (%w)", req.MatchID, controlURL, ErrUnreachable, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Room{}, fmt.Errorf("create room %s on %s: %w (%w)", req.MatchID, controlURL, ErrUnreachable, err)
	}
	if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusCreated {
		var room Room
		if err := json.Unmarshal(data, &room); err != nil {
			return Room{}, fmt.Errorf("create room %s on %s: decode: %w (%w)", req.MatchID, controlURL, ErrUnreachable, err)
		}
		if err := room.check(req); err != nil {
			return Room{}, fmt.Errorf("create room %s on %s: %w (%w)", req.MatchID, controlURL, ErrUnreachable, err)
		}
		return room, nil
	}
	var ae apiError
	_ = json.Unmarshal(data, &ae)
	kind := ErrRefused
	if resp.StatusCode == http.StatusServiceUnavailable {
		kind = ErrServerBusy
	} else if resp.StatusCode >= 500 {
		kind = ErrUnreachable
	}
	return Room{}, fmt.Errorf("create room %s on %s: %d %s: %s: %w", req.MatchID, controlURL, resp.StatusCode, ae.Code, ae.Message, kind)
}

// check verifies the answer gives a ticket for every requested seat.
func (r Room) check(req CreateRoom) error {
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

// Ticket returns the seat ticket of player.
func (r Room) Ticket(player string) (SeatTicket, bool) {
	for _, s := range r.Seats {
		if s.PlayerID == player && s.Ticket != "" {
			return s, true
		}
	}
	return SeatTicket{}, false
}

// Allocate creates req's room on the first of ranked that accepts it (see
// Rank), trying at most attempts servers. A server that is busy, refuses or
// cannot be reached is skipped. It returns ErrNoServer, wrapping the last
// failure, when none accepts.
func (c *Client) Allocate(ctx context.Context, ranked []Server, req CreateRoom, attempts int) (Room, Server, error) {
	last := error(ErrNoServer)
	for i, s := range ranked {
		if i >= attempts {
			break
		}
		room, err := c.CreateRoom(ctx, s.ControlURL, req)
		if err == nil {
			return room, s, nil
		}
		if ctx.Err() != nil {
			return Room{}, Server{}, fmt.Errorf("allocate %s: %w", req.MatchID, ctx.Err())
		}
		last = err
	}
	return Room{}, Server{}, fmt.Errorf("allocate %s: %w (last: %w)", req.MatchID, ErrNoServer, last)
}
