package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// ErrRoomNotFound: the server hosts no room with that id (404
// room_not_found).
var ErrRoomNotFound = errors.New("fleet: room not found")

// maxMetricsBytes bounds a scraped /metrics body.
const maxMetricsBytes = 8 << 20

// call sends an authenticated request to controlURL+path and returns the
// status and body (at most limit bytes). A transport failure wraps
// ErrUnreachable.
func (c *Client) call(ctx context.Context, method, controlURL, path string, limit int64) (int, []byte, error) {
	hr, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(controlURL, "/")+path, nil)
	if err != nil {
		return 0, nil, err
	}
	hr.Header.Set("Authorization", "Bearer "+c.secret)
	resp, err := c.http.Do(hr)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s%s: %w (%w)", method, controlURL, path, ErrUnreachable, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s%s: %w (%w)", method, controlURL, path, ErrUnreachable, err)
	}
	return resp.StatusCode, data, nil
}

// statusError turns a non-2xx answer into an error wrapping ErrRoomNotFound
// (404 room_not_found), ErrServerBusy (503), ErrUnreachable (other 5xx) or
// ErrRefused.
func statusError(op string, status int, data []byte) error {
	var ae contract.ControlError
	_ = json.Unmarshal(data, &ae)
	kind := ErrRefused
	switch {
	case status == http.StatusNotFound && ae.Code == contract.CodeRoomNotFound:
		kind = ErrRoomNotFound
	case status == http.StatusServiceUnavailable:
		kind = ErrServerBusy
	case status >= 500:
		kind = ErrUnreachable
	}
	return fmt.Errorf("%s: %d %s: %s: %w", op, status, ae.Code, ae.Message, kind)
}

// ListRooms returns the rooms hosted by the server at controlURL (GET
// /v1/rooms).
func (c *Client) ListRooms(ctx context.Context, controlURL string) ([]contract.RoomSummary, error) {
	status, data, err := c.call(ctx, http.MethodGet, controlURL, "/v1/rooms", contract.MaxControlBodyBytes*64)
	if err != nil {
		return nil, fmt.Errorf("list rooms: %w", err)
	}
	if status != http.StatusOK {
		return nil, statusError("list rooms on "+controlURL, status, data)
	}
	var list contract.RoomList
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("list rooms on %s: decode: %w (%w)", controlURL, ErrUnreachable, err)
	}
	return list.Rooms, nil
}

// CloseRoom ends room id on the server at controlURL with an aborted
// result (DELETE /v1/rooms/{id}); ErrRoomNotFound when it hosts no such
// room.
func (c *Client) CloseRoom(ctx context.Context, controlURL, id string) error {
	status, data, err := c.call(ctx, http.MethodDelete, controlURL, "/v1/rooms/"+id, contract.MaxControlBodyBytes)
	if err != nil {
		return fmt.Errorf("close room %s: %w", id, err)
	}
	if status != http.StatusNoContent && status != http.StatusOK {
		return statusError("close room "+id+" on "+controlURL, status, data)
	}
	return nil
}

// Drain takes the server at controlURL out of allocation (POST /v1/drain):
// it refuses new rooms and lets its rooms finish. It returns how many rooms
// the server still hosts.
func (c *Client) Drain(ctx context.Context, controlURL string) (rooms int, err error) {
	status, data, err := c.call(ctx, http.MethodPost, controlURL, "/v1/drain", contract.MaxControlBodyBytes)
	if err != nil {
		return 0, fmt.Errorf("drain: %w", err)
	}
	if status != http.StatusAccepted && status != http.StatusOK {
		return 0, statusError("drain "+controlURL, status, data)
	}
	var body struct {
		Rooms int `json:"rooms"`
	}
	_ = json.Unmarshal(data, &body)
	return body.Rooms, nil
}

// Outbox is a room server's result outbox as its /metrics tells it.
type Outbox struct {
	// PendingRecords is pantheon_outbox_pending_records: results written to
	// the outbox and not yet flushed to the database.
	PendingRecords int64 `json:"pending_records"`
	// PendingBytes is pantheon_outbox_pending_bytes.
	PendingBytes int64 `json:"pending_bytes"`
	// DeadLetters is pantheon_outbox_dead_letters_total.
	DeadLetters int64 `json:"dead_letters"`
	// FlushFailures is pantheon_outbox_flush_failures_total.
	FlushFailures int64 `json:"flush_failures"`
	// ResultQueue is pantheon_room_result_queue_length: finished matches
	// not yet handed to the outbox.
	ResultQueue int64 `json:"result_queue"`
	// Exposed reports whether the server exports the outbox metrics at all
	// (false: a server without a durable outbox, e.g. a bench sink).
	Exposed bool `json:"exposed"`
}

// Outbox scrapes the server's /metrics (Prometheus text format, parsed
// with expfmt) for its outbox backlog.
func (c *Client) Outbox(ctx context.Context, controlURL string) (Outbox, error) {
	status, data, err := c.call(ctx, http.MethodGet, controlURL, "/metrics", maxMetricsBytes)
	if err != nil {
		return Outbox{}, fmt.Errorf("scrape metrics: %w", err)
	}
	if status != http.StatusOK {
		return Outbox{}, statusError("scrape metrics of "+controlURL, status, data)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(data)))
	if err != nil {
		return Outbox{}, fmt.Errorf("scrape metrics of %s: parse: %w", controlURL, err)
	}
	sum := func(name string) (int64, bool) {
		f, ok := fams[name]
		if !ok {
			return 0, false
		}
		var v float64
		for _, m := range f.GetMetric() {
			switch {
			case m.GetGauge() != nil:
				v += m.GetGauge().GetValue()
			case m.GetCounter() != nil:
				v += m.GetCounter().GetValue()
			case m.GetUntyped() != nil:
				v += m.GetUntyped().GetValue()
			}
		}
		return int64(v), true
	}
	var o Outbox
	o.PendingRecords, o.Exposed = sum("pantheon_outbox_pending_records")
	o.PendingBytes, _ = sum("pantheon_outbox_pending_bytes")
	o.DeadLetters, _ = sum("pantheon_outbox_dead_letters_total")
	o.FlushFailures, _ = sum("pantheon_outbox_flush_failures_total")
	o.ResultQueue, _ = sum("pantheon_room_result_queue_length")
	return o, nil
}
