package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pantheon-oracles/pantheon/contract"
)

// lobbyClient is one bot's view of the lobby's public API (lobby/openapi.json):
// the few calls a player makes to get from nothing to a seat in a room. It
// is written from the API document, the way a third-party client would be,
// so it also checks that the document and the server agree.
type lobbyClient struct {
	base   string // e.g. http://127.0.0.1:8080
	http   *http.Client
	access string // bearer access token after login
	player string // player id after login
}

// lobbyError is a non-2xx answer: the lobby's {"code","message"} body.
type lobbyError struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *lobbyError) Error() string {
	return fmt.Sprintf("lobby: %d %s: %s", e.Status, e.Code, e.Message)
}

// lobbySeat is the seat a match_found event (or an assigned ticket) carries.
type lobbySeat struct {
	MatchID string `json:"match_id"`
	RoomID  string `json:"room_id"`
	KCPAddr string `json:"kcp_addr"`
	WSURL   string `json:"ws_url"`
	KCPKey  string `json:"kcp_key"`
	Seat    int    `json:"seat"`
	Team    int    `json:"team"`
	Ticket  string `json:"ticket"`
}

// do sends a JSON request and decodes a JSON answer into out (nil to
// discard). Non-2xx answers become *lobbyError.
func (c *lobbyClient) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.access != "" {
		req.Header.Set("Authorization", "Bearer "+c.access)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("lobby: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("lobby: %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		le := &lobbyError{Status: resp.StatusCode}
		if json.Unmarshal(raw, le) != nil {
			le.Message = strings.TrimSpace(string(raw))
		}
		return le
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("lobby: %s %s: decode: %w", method, path, err)
	}
	return nil
}

// guest logs in with a device id (POST /v1/auth/guest) and keeps the token.
func (c *lobbyClient) guest(ctx context.Context, deviceID string) error {
	var out struct {
		PlayerID    string `json:"player_id"`
		AccessToken string `json:"access_token"`
	}
	if err := c.do(ctx, http.MethodPost, "/v1/auth/guest", map[string]string{"device_id": deviceID}, &out); err != nil {
		return err
	}
	if out.AccessToken == "" || out.PlayerID == "" {
		return errors.New("lobby: guest login: no token or player id in the answer")
	}
	c.access, c.player = out.AccessToken, out.PlayerID
	return nil
}

// saveOracle creates or replaces one oracle of the caller's roster.
func (c *lobbyClient) saveOracle(ctx context.Context, id string, o contract.Oracle) error {
	return c.do(ctx, http.MethodPut, "/v1/me/oracles/"+url.PathEscape(id), o, nil)
}

// queue creates a solo ticket and returns its id.
func (c *lobbyClient) queue(ctx context.Context, mode, oracleID string) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	err := c.do(ctx, http.MethodPost, "/v1/tickets", map[string]string{"mode": mode, "oracle_id": oracleID}, &out)
	return out.ID, err
}

// push is an open push channel (GET /v1/events).
type push struct {
	ws *websocket.Conn
}

// openPush opens the caller's push channel. Open it before queueing so no
// match_found can be missed.
func (c *lobbyClient) openPush(ctx context.Context) (*push, error) {
	u := "ws" + strings.TrimPrefix(c.base, "http") + "/v1/events"
	h := http.Header{"Authorization": {"Bearer " + c.access}}
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	ws, resp, err := d.DialContext(ctx, u, h)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("lobby: push channel: %w", err)
	}
	ws.SetReadLimit(64 << 10)
	return &push{ws: ws}, nil
}

// waitSeat reads events until match_found for ticket arrives, the ticket
// ends without a seat, or ctx ends.
func (p *push) waitSeat(ctx context.Context, ticket string) (*lobbySeat, error) {
	stop := context.AfterFunc(ctx, func() { p.ws.Close() })
	defer stop()
	for {
		var ev struct {
			Type     string     `json:"type"`
			TicketID string     `json:"ticket_id"`
			State    string     `json:"state"`
			Reason   string     `json:"reason"`
			Match    *lobbySeat `json:"match"`
		}
		if err := p.ws.ReadJSON(&ev); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("lobby: push channel: %w", err)
		}
		if ev.TicketID != ticket {
			continue
		}
		switch {
		case ev.Type == "match_found" && ev.Match != nil:
			return ev.Match, nil
		case ev.State == "cancelled" || ev.State == "expired" || ev.State == "failed":
			return nil, fmt.Errorf("lobby: ticket %s %s: %s", ticket, ev.State, ev.Reason)
		}
	}
}

func (p *push) close() { p.ws.Close() }
