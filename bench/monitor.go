package bench

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/pantheon-oracles/pantheon/internal/proccpu"
)

// monitor watches a run once a second: it rolls the bots' measurements
// into the time series, scrapes the servers' /metrics, reads the bench's
// own CPU, prints the progress line and checks the thresholds for
// --abort-on-fail. Only the run's goroutine and the monitor's loop touch
// it, one after the other.
type monitor struct {
	r     resolved
	col   *collector
	ts    []Threshold
	start time.Time
	hc    *http.Client

	// smu guards the servers' tracks: sample (on the scrape goroutine)
	// writes them, serverReports reads them.
	smu       sync.Mutex
	servers   []*serverTrack
	series    []Point
	lastRoll  time.Time
	lastPrint time.Time
	cpu0      float64
	cpuPrev   float64
	cpuMax    float64
	gorMax    int
}

// serverTrack is what the monitor keeps of one scraped server.
type serverTrack struct {
	t             scrapeTarget
	first, prev   page
	firstAt, prAt time.Time
	rep           ServerReport
}

func newMonitor(r resolved, col *collector, ts []Threshold, start time.Time) *monitor {
	return &monitor{r: r, col: col, ts: ts, start: start, lastRoll: start, lastPrint: start, cpu0: cpuSeconds(),
		hc: &http.Client{Timeout: 3 * time.Second}}
}

// discover finds the servers to scrape: the room server at Target (direct,
// idle, and any kind when a fleet secret is given and no lobby lists
// servers), the room servers the lobby lists, and the lobby's admin page.
func (m *monitor) discover(ctx context.Context) {
	var ts []scrapeTarget
	r := m.r
	if r.FleetSecret != "" {
		if r.sc.Kind == KindLobby || r.sc.Kind == KindLogin {
			// A room server just started may not have heartbeated yet:
			// ask for a few seconds.
			deadline := time.Now().Add(5 * time.Second)
			for {
				list, err := lobbyRoomServers(ctx, m.hc, r.Lobby, r.FleetSecret)
				for _, t := range list {
					if r.checkURL(t.url) == nil {
						ts = append(ts, t)
					}
				}
				if len(ts) > 0 || err != nil || time.Now().After(deadline) || ctx.Err() != nil {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
		} else {
			ts = append(ts, scrapeTarget{name: "room", kind: "room", url: r.Target, secret: r.FleetSecret})
		}
	}
	if r.LobbyAdmin != "" {
		ts = append(ts, scrapeTarget{name: "lobby", kind: "lobby", url: strings.TrimSuffix(r.LobbyAdmin, "/")})
	}
	for _, t := range ts {
		m.servers = append(m.servers, &serverTrack{t: t, rep: ServerReport{Name: t.name, Kind: t.kind, URL: t.url}})
	}
}

// sample scrapes every server once and returns this second's points.
func (m *monitor) sample(ctx context.Context) []ServerPoint {
	var pts []ServerPoint
	for _, s := range m.servers {
		p, err := s.t.get(ctx, m.hc)
		now := time.Now()
		m.smu.Lock()
		pt, ok := s.observe(p, err, now)
		m.smu.Unlock()
		if ok {
			pts = append(pts, pt)
		}
	}
	return pts
}

// observe folds one scrape (or its error) into the track.
func (s *serverTrack) observe(p page, err error, now time.Time) (ServerPoint, bool) {
	if err != nil {
		if len(s.rep.ScrapeErrors) < maxReportedErrors {
			s.rep.ScrapeErrors = append(s.rep.ScrapeErrors, err.Error())
		}
		return ServerPoint{}, false
	}
	s.rep.Scrapes++
	pt := ServerPoint{Name: s.t.name, RSS: p["process_resident_memory_bytes"],
		Rooms: p[`pantheon_room_rooms{state="running"}`], Conns: p.sum("pantheon_room_connections")}
	if s.prev != nil {
		if dt := now.Sub(s.prAt).Seconds(); dt > 0 {
			pt.CPU = (p["process_cpu_seconds_total"] - s.prev["process_cpu_seconds_total"]) / dt
		}
		prevH := s.prev.histograms("pantheon_room_tick_duration_seconds", "mode")
		for mode, h := range p.histograms("pantheon_room_tick_duration_seconds", "mode") {
			d := h.minus(prevH[mode])
			if d.count() > 0 {
				if pt.TickP99 == nil {
					pt.TickP99 = map[string]float64{}
				}
				pt.TickP99[mode] = d.quantile(0.99) * 1e3
			}
		}
	} else {
		s.first, s.firstAt = p, now
	}
	s.prev, s.prAt = p, now
	s.rep.RSSMax = math.Max(s.rep.RSSMax, pt.RSS)
	s.rep.ConnsMax = math.Max(s.rep.ConnsMax, pt.Conns)
	s.rep.RoomsMax = math.Max(s.rep.RoomsMax, pt.Rooms)
	return pt, true
}

// settle waits (briefly) for the room servers to see every client gone,
// so the final scrape counts what the clients sent last.
func (m *monitor) settle(ctx context.Context) {
	for ctx.Err() == nil {
		open := 0.0
		for _, s := range m.servers {
			if s.t.kind != "room" {
				continue
			}
			if p, err := s.t.get(ctx, m.hc); err == nil {
				open += p.sum("pantheon_room_connections")
			}
		}
		if open == 0 {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// loop runs once a second until ctx ends. abort is called (once) when a
// threshold fails for good under AbortOnFail. The scrapes run on a
// goroutine of their own, so a slow /metrics never delays the progress
// line; each point carries the newest scrape.
func (m *monitor) loop(ctx context.Context, abort func(why string)) {
	var mu sync.Mutex
	var latest []ServerPoint
	scraped := make(chan struct{})
	go func() {
		defer close(scraped)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			pts := m.sample(ctx)
			mu.Lock()
			latest = pts
			mu.Unlock()
		}
	}()
	defer func() { <-scraped }()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	aborted := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pt := m.roll(time.Now())
		mu.Lock()
		pt.Servers = latest
		mu.Unlock()
		m.series = append(m.series, pt)
		if w := m.r.Progress; w != nil && time.Since(m.lastPrint) >= m.r.ProgressEvery-50*time.Millisecond {
			m.lastPrint = time.Now()
			fmt.Fprintln(w, progressLine(pt, m.r.sc))
		}
		if m.r.AbortOnFail && !aborted {
			rep := Report{Swarm: m.swarmReport(m.r.sc), Servers: m.serverReports(), Failed: int(m.col.nErrors.Load())}
			for _, th := range m.ts {
				if res := th.check(&rep); !res.Passed && th.monotone(&rep) {
					aborted = true
					abort(fmt.Sprintf("threshold %s failed at %.0fs (actual %s)", th.Spec, pt.T, trimFloat(res.Actual)))
					break
				}
			}
		}
	}
}

// roll closes the current second: window quantiles, bytes per client,
// bots by state, CPU.
func (m *monitor) roll(now time.Time) Point {
	dt := now.Sub(m.lastRoll)
	m.lastRoll = now
	col := m.col
	pt := Point{T: now.Sub(m.start).Seconds(), Bots: map[string]int{}, Matches: int(col.matches.Load()),
		Finished: int(col.finished.Load()), Errors: int(col.nErrors.Load())}
	for i, n := range stateNames {
		if v := col.states[i].Load(); v > 0 {
			pt.Bots[n] = int(v)
		}
	}
	var win [nMetrics]hist
	var discard hist
	var in, out uint64
	for _, ks := range col.keyList() {
		for i := range ks.h {
			ks.h[i].roll(&win[i], &discard)
			discard = hist{}
		}
		c := ks.connected.Load()
		pt.Connected += int(c)
		ks.clientNs += float64(c) * float64(dt)
		bi, bo := ks.bytesIn.Load(), ks.bytesOut.Load()
		in, out = in+bi-ks.lastIn, out+bo-ks.lastOut
		ks.lastIn, ks.lastOut = bi, bo
	}
	if pt.Connected > 0 && dt > 0 {
		pt.InPerClient = float64(in) / float64(pt.Connected) / dt.Seconds()
		pt.OutPerClient = float64(out) / float64(pt.Connected) / dt.Seconds()
	}
	for i := range win {
		if win[i].n == 0 {
			continue
		}
		if pt.P50 == nil {
			pt.P50, pt.P95, pt.P99 = map[string]float64{}, map[string]float64{}, map[string]float64{}
		}
		name := metricNames[i]
		pt.P50[name], pt.P95[name], pt.P99[name] = ms(win[i].quantile(0.5)), ms(win[i].quantile(0.95)), ms(win[i].quantile(0.99))
	}
	cpu := cpuSeconds()
	if dt > 0 {
		pt.BenchCPU = (cpu - m.cpuPrev) / dt.Seconds()
		if m.cpuPrev == 0 {
			pt.BenchCPU = (cpu - m.cpu0) / dt.Seconds()
		}
	}
	m.cpuPrev = cpu
	m.cpuMax = math.Max(m.cpuMax, pt.BenchCPU)
	m.gorMax = max(m.gorMax, runtime.NumGoroutine())
	return pt
}

// swarmReport summarises every bot's measurements so far.
func (m *monitor) swarmReport(sc Scenario) *SwarmReport {
	col := m.col
	sw := &SwarmReport{Kind: sc.Kind, PeakBots: sc.PeakBots(), Matches: int(col.matches.Load()), Finished: int(col.finished.Load()),
		Latency: map[string]Latency{}, Histograms: map[string][]HistBucket{}}
	var all [nMetrics]hist
	for _, ks := range col.keyList() {
		k := KeyReport{Mode: ks.mode, Transport: ks.transport, Bots: int(ks.bots.Load()), Latency: map[string]Latency{},
			BytesIn: ks.bytesIn.Load(), BytesOut: ks.bytesOut.Load(), Snapshots: ks.snapshots.Load(), Resumes: ks.resumes.Load(),
			ClientSeconds: ks.clientNs / 1e9}
		for i := range ks.h {
			var h hist
			ks.h[i].snapshot(&h)
			all[i].merge(&h)
			if h.n > 0 {
				k.Latency[metricNames[i]] = h.latency()
			}
		}
		if k.ClientSeconds > 0 {
			k.InPerClientSec, k.OutPerClientSec = float64(k.BytesIn)/k.ClientSeconds, float64(k.BytesOut)/k.ClientSeconds
		}
		sw.Bots += k.Bots
		sw.BytesIn += k.BytesIn
		sw.BytesOut += k.BytesOut
		sw.Snapshots += k.Snapshots
		sw.Resumes += k.Resumes
		sw.Inputs += ks.inputs.Load()
		sw.ClientSeconds += k.ClientSeconds
		sw.TickRateMismatches += ks.rateMismatch.Load()
		if ks.mode != "" || ks.transport != "" {
			sw.ByKey = append(sw.ByKey, k)
		}
	}
	for i := range all {
		if all[i].n > 0 {
			sw.Latency[metricNames[i]] = all[i].latency()
			sw.Histograms[metricNames[i]] = all[i].buckets()
		}
	}
	if sw.ClientSeconds > 0 {
		sw.InPerClientSec, sw.OutPerClientSec = float64(sw.BytesIn)/sw.ClientSeconds, float64(sw.BytesOut)/sw.ClientSeconds
	}
	sw.Errors, sw.Disconnects, _ = col.errorCounts()
	return sw
}

// serverReports summarises each server between its first and last scrape.
func (m *monitor) serverReports() []ServerReport {
	m.smu.Lock()
	defer m.smu.Unlock()
	var out []ServerReport
	for _, s := range m.servers {
		rep := s.rep
		if s.first != nil && s.prev != nil {
			first, last := s.first, s.prev
			rep.CPUSeconds = last["process_cpu_seconds_total"] - first["process_cpu_seconds_total"]
			if dt := s.prAt.Sub(s.firstAt).Seconds(); dt > 0 {
				rep.CPUCores = rep.CPUSeconds / dt
			}
			rep.BytesIn = last.sum("pantheon_room_bytes_in_total") - first.sum("pantheon_room_bytes_in_total")
			rep.BytesOut = last.sum("pantheon_room_bytes_out_total") - first.sum("pantheon_room_bytes_out_total")
			rep.SnapshotsSent = last.sum("pantheon_room_snapshots_sent_total") - first.sum("pantheon_room_snapshots_sent_total")
			rep.Closes = deltaBy(last, first, "pantheon_room_connection_closes_total", "code")
			rep.InputDrops = deltaBy(last, first, "pantheon_room_input_drops_total", "reason")
			rep.tickHists, rep.Tick = deltaHists(last, first, "pantheon_room_tick_duration_seconds")
			rep.lateHists, rep.TickLateness = deltaHists(last, first, "pantheon_room_tick_lateness_seconds")
		}
		out = append(out, rep)
	}
	return out
}

func deltaBy(last, first page, name, key string) map[string]float64 {
	a, b := last.byLabel(name, key), first.byLabel(name, key)
	out := map[string]float64{}
	for k, v := range a {
		if d := v - b[k]; d > 0 {
			out[k] = d
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func deltaHists(last, first page, name string) (map[string]promHist, map[string]Latency) {
	a, b := last.histograms(name, "mode"), first.histograms(name, "mode")
	hs, ls := map[string]promHist{}, map[string]Latency{}
	for mode, h := range a {
		d := h.minus(b[mode])
		if d.count() > 0 {
			hs[mode], ls[mode] = d, d.latency()
		}
	}
	return hs, ls
}

// benchReport is the bench's own cost over the run.
func (m *monitor) benchReport(sw *SwarmReport) BenchReport {
	b := BenchReport{CPUSeconds: cpuSeconds() - m.cpu0, CPUMax: m.cpuMax, Goroutines: m.gorMax}
	if el := time.Since(m.start).Seconds(); el > 0 {
		b.CPUCores = b.CPUSeconds / el
	}
	if sw != nil && sw.ClientSeconds > 0 {
		b.CPUPerBotUs = b.CPUSeconds / sw.ClientSeconds * 1e6
	}
	var lag hist
	m.col.lag.snapshot(&lag)
	b.SchedulerLag = lag.latency()
	return b
}

// cpuSeconds is this process's user+system CPU time, in seconds.
func cpuSeconds() float64 { return proccpu.Time().Seconds() }

// progressLine renders one second for the terminal, e.g.
//
//	[  12s] bots 400 (join 8 play 392) conn 392 matches 50/0 | p95 join 12ms ack 18ms rtt 4.1ms | tick p99 raid 1.2ms | cpu bench 0.45 server 0.80 | errors 0
func progressLine(p Point, sc Scenario) string {
	var b strings.Builder
	total := 0
	for _, n := range p.Bots {
		total += n
	}
	fmt.Fprintf(&b, "[%4.0fs] bots %d (", p.T, total-p.Bots["done"])
	sep := ""
	for _, n := range stateNames {
		if v := p.Bots[n]; v > 0 {
			fmt.Fprintf(&b, "%s%s %d", sep, n, v)
			sep = " "
		}
	}
	fmt.Fprintf(&b, ") conn %d matches %d/%d |", p.Connected, p.Matches, p.Finished)
	short := map[string]string{"login": "login", "queue": "queue", "match_create": "create", "join": "join", "input_ack": "ack", "rtt": "rtt", "snapshot_jitter": "jitter"}
	wrote := false
	for _, n := range metricNames {
		if v, ok := p.P95[n]; ok {
			if !wrote {
				b.WriteString(" p95")
				wrote = true
			}
			fmt.Fprintf(&b, " %s %s", short[n], fmtMsf(v))
		}
	}
	if !wrote {
		b.WriteString(" no samples")
	}
	cpu := 0.0
	for _, s := range p.Servers {
		cpu += s.CPU
		for mode, v := range s.TickP99 {
			fmt.Fprintf(&b, " | tick p99 %s %s", mode, fmtMsf(v))
		}
	}
	fmt.Fprintf(&b, " | %.0f/%.0f B/s in/out | cpu bench %.2f", p.InPerClient, p.OutPerClient, p.BenchCPU)
	if len(p.Servers) > 0 {
		fmt.Fprintf(&b, " server %.2f", cpu)
	}
	fmt.Fprintf(&b, " | errors %d", p.Errors)
	_ = sc
	return b.String()
}

func fmtMsf(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0fms", v)
	case v >= 1:
		return fmt.Sprintf("%.1fms", v)
	}
	return fmt.Sprintf("%.0fµs", v*1000)
}
