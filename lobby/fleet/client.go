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

	"github.com/pantheon-oracles/pantheon/contract"
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
func (c *Client) CreateRoom(ctx context.Context, controlURL string, req contract.RoomSpec) (contract.RoomCreated, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return contract.RoomCreated{}, fmt.Errorf("create room %s: %w", req.MatchID, err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(controlURL, "/")+"/v1/rooms", bytes.NewReader(body))
	if err != nil {
		return contract.RoomCreated{}, fmt.Errorf("create room %s: %w", req.MatchID, err)
	}
	hr.Header.Set("Authorization", "Bearer "+c.secret)
	hr.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(hr)
	if err != nil {
		return contract.RoomCreated{}, fmt.Errorf("create room %s on %s: %w (%w)", req.MatchID, controlURL, ErrUnreachable, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, contract.MaxControlBodyBytes))
	if err != nil {
		return contract.RoomCreated{}, fmt.Errorf("create room %s on %s: %w (%w)", req.MatchID, controlURL, ErrUnreachable, err)
	}
	if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusCreated {
		var room contract.RoomCreated
		if err := json.Unmarshal(data, &room); err != nil {
			return contract.RoomCreated{}, fmt.Errorf("create room %s on %s: decode: %w (%w)", req.MatchID, controlURL, ErrUnreachable, err)
		}
		if err := room.Check(req); err != nil {
			return contract.RoomCreated{}, fmt.Errorf("create room %s on %s: %w (%w)", req.MatchID, controlURL, ErrUnreachable, err)
		}
		return room, nil
	}
	var ae contract.ControlError
	_ = json.Unmarshal(data, &ae)
	kind := ErrRefused
	if resp.StatusCode == http.StatusServiceUnavailable {
		kind = ErrServerBusy
	} else if resp.StatusCode >= 500 {
		kind = ErrUnreachable
	}
	return contract.RoomCreated{}, fmt.Errorf("create room %s on %s: %d %s: %s: %w", req.MatchID, controlURL, resp.StatusCode, ae.Code, ae.Message, kind)
}

// Allocate creates req's room on the first of ranked that accepts it (see
// Rank), trying at most attempts servers. A server that is busy, refuses or
// cannot be reached is skipped. It returns ErrNoServer, wrapping the last
// failure, when none accepts.
func (c *Client) Allocate(ctx context.Context, ranked []contract.Heartbeat, req contract.RoomSpec, attempts int) (contract.RoomCreated, contract.Heartbeat, error) {
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
			return contract.RoomCreated{}, contract.Heartbeat{}, fmt.Errorf("allocate %s: %w", req.MatchID, ctx.Err())
		}
		last = err
	}
	return contract.RoomCreated{}, contract.Heartbeat{}, fmt.Errorf("allocate %s: %w (last: %w)", req.MatchID, ErrNoServer, last)
}
