package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// Report is what a bench run measured: a run header, the scenario's own
// section, what the bots measured, what the servers' /metrics said, the
// bench's own cost, a time series at 1 s resolution, and the thresholds.
// Every duration in its JSON is in milliseconds.
type Report struct {
	Run      Header        `json:"run"`
	Scenario string        `json:"scenario"`
	Target   string        `json:"target"`
	Duration time.Duration `json:"-"`
	// DurationMs is Duration for the JSON.
	DurationMs float64 `json:"duration_ms"`
	// Failed counts errors: failed steps of bots (login, queue, join,
	// play) and failed clients; Errors quotes the first few.
	Failed int          `json:"failed"`
	Errors []string     `json:"errors,omitempty"`
	Idle   *IdleReport  `json:"idle,omitempty"`
	Match  *MatchReport `json:"match,omitempty"`
	Login  *LoginReport `json:"login,omitempty"`
	// Swarm is what the bots measured (every kind).
	Swarm   *SwarmReport   `json:"bots,omitempty"`
	Servers []ServerReport `json:"servers,omitempty"`
	Bench   BenchReport    `json:"bench"`
	Series  []Point        `json:"series,omitempty"`
	// Thresholds are the rules checked, in order; Passed is true when
	// none failed.
	Thresholds []ThresholdResult `json:"thresholds"`
	Passed     bool              `json:"passed"`
	// Aborted says why the run stopped early (--abort-on-fail), "" when
	// it ran its course.
	Aborted string `json:"aborted,omitempty"`
}

// Header identifies a run: when, which build, what was asked.
type Header struct {
	Time       time.Time `json:"time"`
	Version    string    `json:"version"`  // module version of the binary ("(devel)" from a work tree)
	Commit     string    `json:"commit"`   // vcs.revision of the build, "" when not stamped
	Modified   bool      `json:"modified"` // built from a dirty work tree
	GoVersion  string    `json:"go_version"`
	Host       string    `json:"host"`
	CPUs       int       `json:"cpus"`
	GOMAXPROCS int       `json:"gomaxprocs"`
	Scenario   Scenario  `json:"scenario"` // as run, with overrides and defaults applied
	Config     RunConfig `json:"config"`
}

// RunConfig is the part of Config the header records (never the secret).
type RunConfig struct {
	Target      string   `json:"target"`
	Lobby       string   `json:"lobby"`
	LobbyAdmin  string   `json:"lobby_admin,omitempty"`
	AllowHosts  []string `json:"allow_hosts,omitempty"`
	Thresholds  []string `json:"thresholds"`
	AbortOnFail bool     `json:"abort_on_fail"`
	FleetSecret bool     `json:"fleet_secret_set"`
}

// SwarmReport is what the bots (or clients) measured, all of them and per
// mode and transport.
type SwarmReport struct {
	Kind     string `json:"kind"`
	Bots     int    `json:"bots"`      // started
	PeakBots int    `json:"peak_bots"` // the stages' highest target
	Matches  int    `json:"matches"`   // distinct matches (rooms) joined
	Finished int    `json:"finished"`  // seats played until the server ended the match
	// Latency holds login, queue, match_create, join, input_ack, rtt and
	// snapshot_jitter.
	Latency map[string]Latency `json:"latency"`
	// Histograms are the same samples by bucket, for the report's charts.
	Histograms map[string][]HistBucket `json:"histograms,omitempty"`
	// Frame bytes and snapshot frames as the clients counted them: In is
	// from the servers, Out to them.
	BytesIn   uint64 `json:"bytes_in"`
	BytesOut  uint64 `json:"bytes_out"`
	Snapshots uint64 `json:"snapshots"`
	Inputs    uint64 `json:"inputs"`
	Resumes   uint64 `json:"resumes"`
	// ClientSeconds is connected clients integrated over time; the per
	// client rates divide by it.
	ClientSeconds   float64        `json:"client_seconds"`
	InPerClientSec  float64        `json:"bytes_in_per_client_per_s"`
	OutPerClientSec float64        `json:"bytes_out_per_client_per_s"`
	ByKey           []KeyReport    `json:"by_mode_transport"`
	Errors          map[string]int `json:"errors"`      // by cause
	Disconnects     map[string]int `json:"disconnects"` // room connections ended, by cause
	// TickRateMismatches counts welcomes whose tick rate differs from the
	// scenario's tick_rates (the server runs another rate than intended).
	TickRateMismatches uint64 `json:"tick_rate_mismatches"`
}

// KeyReport is one mode over one transport.
type KeyReport struct {
	Mode            string             `json:"mode"`
	Transport       string             `json:"transport"`
	Bots            int                `json:"bots"`
	Latency         map[string]Latency `json:"latency"`
	BytesIn         uint64             `json:"bytes_in"`
	BytesOut        uint64             `json:"bytes_out"`
	Snapshots       uint64             `json:"snapshots"`
	Resumes         uint64             `json:"resumes"`
	ClientSeconds   float64            `json:"client_seconds"`
	InPerClientSec  float64            `json:"bytes_in_per_client_per_s"`
	OutPerClientSec float64            `json:"bytes_out_per_client_per_s"`
}

// ServerReport is what one server's /metrics said over the run (the
// difference between the first and the last scrape).
type ServerReport struct {
	Name string `json:"name"`
	Kind string `json:"kind"` // room or lobby
	URL  string `json:"url"`
	// Tick and TickLateness are per mode, from the tick histograms.
	Tick         map[string]Latency `json:"tick,omitempty"`
	TickLateness map[string]Latency `json:"tick_lateness,omitempty"`
	CPUSeconds   float64            `json:"cpu_seconds"`
	CPUCores     float64            `json:"cpu_cores"` // average over the run
	RSSMax       float64            `json:"rss_max_bytes"`
	ConnsMax     float64            `json:"connections_max"`
	RoomsMax     float64            `json:"rooms_running_max"`
	BytesIn      float64            `json:"bytes_in"`  // frame bytes from clients
	BytesOut     float64            `json:"bytes_out"` // frame bytes to clients
	// SnapshotsSent is the snapshot frames written to clients, when the
	// server exports pantheon_room_snapshots_sent_total.
	SnapshotsSent float64            `json:"snapshots_sent"`
	Closes        map[string]float64 `json:"connection_closes,omitempty"` // by code
	InputDrops    map[string]float64 `json:"input_drops,omitempty"`       // by reason
	Scrapes       int                `json:"scrapes"`
	ScrapeErrors  []string           `json:"scrape_errors,omitempty"` // the first few
	// The delta histograms behind Tick and TickLateness, for thresholds.
	tickHists, lateHists map[string]promHist
}

// BenchReport is the load generator's own cost, so a saturated bench is
// never taken for a slow server. When the servers run in the bench's
// process (tests), their CPU is in it too.
type BenchReport struct {
	CPUSeconds float64 `json:"cpu_seconds"`
	CPUCores   float64 `json:"cpu_cores"`     // average
	CPUMax     float64 `json:"cpu_cores_max"` // busiest second
	// CPUPerBotUs is CPU microseconds per connected client per second.
	CPUPerBotUs float64 `json:"cpu_us_per_client_per_s"`
	// SchedulerLag is how late the shared scheduler's steps ran: tens of
	// milliseconds mean the bench could not keep its input rate.
	SchedulerLag Latency `json:"scheduler_lag"`
	Goroutines   int     `json:"goroutines_max"`
	InProcess    bool    `json:"in_process,omitempty"`
}

// Point is one second of the run.
type Point struct {
	T         float64        `json:"t_s"`
	Bots      map[string]int `json:"bots"` // by state
	Connected int            `json:"connected"`
	Matches   int            `json:"matches"`
	Finished  int            `json:"finished"`
	Errors    int            `json:"errors"` // so far
	// P50/P95/P99 are this second's samples, per metric, in ms.
	P50 map[string]float64 `json:"p50_ms,omitempty"`
	P95 map[string]float64 `json:"p95_ms,omitempty"`
	P99 map[string]float64 `json:"p99_ms,omitempty"`
	// Bytes per connected client per second, this second.
	InPerClient  float64       `json:"bytes_in_per_client"`
	OutPerClient float64       `json:"bytes_out_per_client"`
	BenchCPU     float64       `json:"bench_cpu_cores"`
	Servers      []ServerPoint `json:"servers,omitempty"`
}

// ServerPoint is one scrape of one server.
type ServerPoint struct {
	Name    string             `json:"name"`
	CPU     float64            `json:"cpu_cores"`
	RSS     float64            `json:"rss_bytes"`
	Rooms   float64            `json:"rooms_running"`
	Conns   float64            `json:"connections"`
	TickP99 map[string]float64 `json:"tick_p99_ms,omitempty"` // per mode, this second
}

// IdleReport is what the idle kind measured. Byte counts are the server's
// RSS as its /metrics reports it (process_resident_memory_bytes).
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
	ConnectFor time.Duration `json:"-"`
	ConnectMs  float64       `json:"connect_duration_ms"`
}

// WriteText writes r for people: what ran, what it measured, each
// threshold passed or failed.
func (r Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("scenario            %s\ntarget              %s\nduration            %v\n", r.Scenario, r.Target, r.Duration.Round(time.Millisecond))
	if r.Run.Commit != "" || r.Run.Version != "" {
		ew.printf("build               %s %s\n", r.Run.Version, shortCommit(r.Run.Commit, r.Run.Modified))
	}
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
	if l := r.Login; l != nil {
		ew.printf("logins              %d asked at %.0f/s, %d ok, %d failed, %.0f/s sustained\nlatency             %v\n",
			l.Logins, l.Rate, l.OK, r.Failed, l.Achieved, l.Latency)
		for _, code := range slices.Sorted(maps.Keys(l.Refused)) {
			ew.printf("refused             %d %s\n", l.Refused[code], code)
		}
	}
	if s := r.Swarm; s != nil && s.Kind != KindIdle && s.Kind != KindLogin {
		ew.printf("bots                %d started (peak target %d), %d matches joined, %d seats played to the end\n", s.Bots, s.PeakBots, s.Matches, s.Finished)
		for _, name := range metricNames {
			if l := s.Latency[name]; l.Count > 0 {
				ew.printf("%-19s %v\n", name, l)
			}
		}
		ew.printf("traffic             %.0f B/s in, %.0f B/s out per client (%.0f client-seconds); %d snapshots, %d inputs, %d resumes\n",
			s.InPerClientSec, s.OutPerClientSec, s.ClientSeconds, s.Snapshots, s.Inputs, s.Resumes)
		for _, k := range s.ByKey {
			ew.printf("  %-12s %-3s %4d bots  join %s  ack p99 %s  rtt p99 %s  %.0f/%.0f B/s in/out\n", k.Mode, k.Transport, k.Bots,
				fmtMs(k.Latency["join"].P95), fmtMs(k.Latency["input_ack"].P99), fmtMs(k.Latency["rtt"].P99), k.InPerClientSec, k.OutPerClientSec)
		}
		if len(s.Disconnects) > 0 {
			ew.printf("disconnects         %s\n", fmtCounts(s.Disconnects))
		}
		if s.TickRateMismatches > 0 {
			ew.printf("tick rate           %d welcomes at another rate than the scenario's tick_rates\n", s.TickRateMismatches)
		}
	}
	if s := r.Swarm; s != nil && len(s.Errors) > 0 {
		ew.printf("errors              %s\n", fmtCounts(s.Errors))
	}
	for _, sv := range r.Servers {
		ew.printf("server %-12s cpu %.2f cores avg, rss max %.1f MiB, connections max %.0f, rooms max %.0f\n", sv.Name, sv.CPUCores, sv.RSSMax/(1<<20), sv.ConnsMax, sv.RoomsMax)
		for _, mode := range slices.Sorted(maps.Keys(sv.Tick)) {
			if t := sv.Tick[mode]; t.Count > 0 {
				ew.printf("  tick %-12s %v\n", mode, t)
			}
		}
	}
	b := r.Bench
	ew.printf("bench cpu           %.2f cores avg, %.2f max, %.1f µs per client per second, scheduler lag %v", b.CPUCores, b.CPUMax, b.CPUPerBotUs, b.SchedulerLag)
	if b.InProcess {
		ew.printf(" (servers in the same process)")
	}
	ew.printf("\n")
	for _, e := range r.Errors {
		ew.printf("error               %s\n", e)
	}
	for _, t := range r.Thresholds {
		mark := "PASS"
		switch {
		case t.NoData:
			mark = "----"
		case !t.Passed:
			mark = "FAIL"
		}
		if t.NoData {
			ew.printf("threshold %s %-28s no data\n", mark, t.Threshold)
		} else {
			ew.printf("threshold %s %-28s actual %s\n", mark, t.Threshold, trimFloat(t.Actual))
		}
	}
	if r.Aborted != "" {
		ew.printf("aborted             %s\n", r.Aborted)
	}
	if r.Passed {
		ew.printf("result              passed\n")
	} else {
		ew.printf("result              FAILED\n")
	}
	return ew.err
}

// WriteJSON writes r as one JSON object.
func (r Report) WriteJSON(w io.Writer) error {
	r.DurationMs = ms(r.Duration)
	if r.Idle != nil {
		i := *r.Idle
		i.ConnectMs = ms(i.ConnectFor)
		r.Idle = &i
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func shortCommit(c string, dirty bool) string {
	if len(c) > 12 {
		c = c[:12]
	}
	if dirty {
		c += "+dirty"
	}
	return c
}

func fmtMs(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return round(d).String()
}

func fmtCounts(m map[string]int) string {
	keys := slices.Collect(maps.Keys(m))
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] || (m[keys[i]] == m[keys[j]] && keys[i] < keys[j]) })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func trimFloat(v float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
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
