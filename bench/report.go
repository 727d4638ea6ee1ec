package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Report is what a bench run measured. Byte counts are the server's RSS
// as its /metrics reports it (process_resident_memory_bytes).
type Report struct {
	Scenario   string        `json:"scenario"`
	Target     string        `json:"target"`
	Clients    int           `json:"clients"`   // asked for
	Connected  int           `json:"connected"` // got a welcome
	KCP        int           `json:"kcp"`       // connected over KCP
	WS         int           `json:"ws"`        // connected over WebSocket
	Failed     int           `json:"failed"`
	Rooms      int           `json:"rooms"`
	ServerConn float64       `json:"server_connections"` // the server's connections gauge, all transports
	RSSBefore  float64       `json:"rss_before_bytes"`   // after the rooms were created, before any client
	RSSAfter   float64       `json:"rss_after_bytes"`    // with every client connected and idle
	PerConn    float64       `json:"rss_per_connection_bytes"`
	ConnectFor time.Duration `json:"connect_duration_ns"`
	Errors     []string      `json:"errors,omitempty"` // the first few failures
}

// WriteText writes r for people.
func (r Report) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w, `scenario            %s
target              %s
clients             %d asked, %d connected (%d KCP, %d WebSocket), %d failed, in %d rooms
server connections  %.0f
connect time        %v
server RSS before   %.1f MiB
server RSS after    %.1f MiB
RSS per connection  %.1f KiB
`, r.Scenario, r.Target, r.Clients, r.Connected, r.KCP, r.WS, r.Failed, r.Rooms, r.ServerConn,
		r.ConnectFor.Round(time.Millisecond), r.RSSBefore/(1<<20), r.RSSAfter/(1<<20), r.PerConn/1024)
	for _, e := range r.Errors {
		if err == nil {
			_, err = fmt.Fprintf(w, "error               %s\n", e)
		}
	}
	return err
}

// WriteJSON writes r as one JSON object.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
