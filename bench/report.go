package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Report is what a bench run measured: the common header plus the section
// of the scenario that ran.
type Report struct {
	Scenario string        `json:"scenario"`
	Target   string        `json:"target"`
	Duration time.Duration `json:"duration_ns"`
	Failed   int           `json:"failed"`           // clients or bots that did not get through
	Errors   []string      `json:"errors,omitempty"` // the first few failures
	Idle     *IdleReport   `json:"idle,omitempty"`
	Match    *MatchReport  `json:"match,omitempty"`
	Login    *LoginReport  `json:"login,omitempty"`
}

// IdleReport is what the "idle" scenario measured. Byte counts are the
// server's RSS as its /metrics reports it (process_resident_memory_bytes).
type IdleReport struct {
	Clients    int           `json:"clients"`   // asked for
	Connected  int           `json:"connected"` // got a welcome
	KCP        int           `json:"kcp"`       // connected over KCP
	WS         int           `json:"ws"`        // connected over WebSocket
	Rooms      int           `json:"rooms"`
	ServerConn float64       `json:"server_connections"` // the server's connections gauge, all transports
	RSSBefore  float64       `json:"rss_before_bytes"`   // after the rooms were created, before any client
	RSSAfter   float64       `json:"rss_after_bytes"`    // with every client connected and idle
	PerConn    float64       `json:"rss_per_connection_bytes"`
	ConnectFor time.Duration `json:"connect_duration_ns"`
}

// WriteText writes r for people.
func (r Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("scenario            %s\ntarget              %s\nduration            %v\n", r.Scenario, r.Target, r.Duration.Round(time.Millisecond))
	if i := r.Idle; i != nil {
		ew.printf(`clients             %d asked, %d connected (%d KCP, %d WebSocket), %d failed, in %d rooms
server connections  %.0f
connect time        %v
server RSS before   %.1f MiB
server RSS after    %.1f MiB
RSS per connection  %.1f KiB
`, i.Clients, i.Connected, i.KCP, i.WS, r.Failed, i.Rooms, i.ServerConn,
			i.ConnectFor.Round(time.Millisecond), i.RSSBefore/(1<<20), i.RSSAfter/(1<<20), i.PerConn/1024)
	}
	if m := r.Match; m != nil {
		ew.printf(`mode                %s
bots                %d asked, %d logged in, %d queued, %d matched, %d finished, %d failed
matches             %d (bots played %d over KCP, %d over WebSocket)
login               %v
queue wait          %v
room connect        %v
play                %v
input ack (worst)   %v
snapshots           %d applied, %d resumes
`, m.Mode, m.Bots, m.LoggedIn, m.Queued, m.Matched, m.Finished, r.Failed, m.Matches, m.KCP, m.WS,
			m.Login, m.QueueWait, m.Connect, m.Play, m.InputAck, m.Snapshots, m.Resumes)
	}
	if l := r.Login; l != nil {
		ew.printf("logins              %d asked at %.0f/s, %d ok, %d failed, %.0f/s sustained\nlatency             %v\n",
			l.Logins, l.Rate, l.OK, r.Failed, l.Achieved, l.Latency)
		for code, n := range l.Refused {
			ew.printf("refused             %d %s\n", n, code)
		}
	}
	for _, e := range r.Errors {
		ew.printf("error               %s\n", e)
	}
	return ew.err
}

// WriteJSON writes r as one JSON object.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// errWriter keeps the first write error so a report can be written in
// several steps and checked once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, a ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, a...)
	}
}
