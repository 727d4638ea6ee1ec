package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/pantheon-oracles/pantheon/contract"
)

// controlClient speaks the room server's control API (server/CONTROL_API.md)
// and reads its /metrics.
type controlClient struct {
	base   string // e.g. http://127.0.0.1:7002
	secret string
	http   *http.Client
}

func (c *controlClient) createRoom(ctx context.Context, spec contract.RoomSpec) (contract.RoomCreated, error) {
	body, err := json.Marshal(spec)
	if err != nil {
		return contract.RoomCreated{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/v1/rooms", bytes.NewReader(body))
	if err != nil {
		return contract.RoomCreated{}, err
	}
	req.Header.Set("Authorization", "Bearer "+c.secret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return contract.RoomCreated{}, fmt.Errorf("bench: create room: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, contract.MaxControlBodyBytes))
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return contract.RoomCreated{}, fmt.Errorf("bench: create room: %s: %s", resp.Status, strings.TrimSpace(string(raw)))
	}
	var out contract.RoomCreated
	if err := json.Unmarshal(raw, &out); err != nil {
		return contract.RoomCreated{}, fmt.Errorf("bench: create room: %w", err)
	}
	return out, nil
}

func (c *controlClient) closeRoom(ctx context.Context, id string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, c.base+"/v1/rooms/"+id, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.secret)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("bench: close room %s: %w", id, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("bench: close room %s: %s", id, resp.Status)
	}
	return nil
}

// metric reads one unlabelled sample (e.g. process_resident_memory_bytes)
// from the server's /metrics (which wants the fleet secret).
func (c *controlClient) metric(ctx context.Context, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.secret)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("bench: metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("bench: metrics: %s", resp.Status)
	}
	return parseMetric(resp.Body, name)
}

// labelled reads the sample of name whose label key has value.
func (c *controlClient) labelled(ctx context.Context, name, key, value string) (float64, error) {
	return c.metric(ctx, name+"{"+key+"=\""+value+"\"}")
}
