package lobby

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/pantheon-oracles/pantheon/internal/buildinfo"
	"github.com/pantheon-oracles/pantheon/internal/outage"
	"github.com/pantheon-oracles/pantheon/lobby/match"
	"github.com/pantheon-oracles/pantheon/lobby/store"
	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Label values of the lobby's metrics (doc.go has the table of series).
const (
	waitMatched   = "matched"
	waitExpired   = "expired"
	waitCancelled = "cancelled"
	waitFailed    = "failed"

	routeUnmatched = "unmatched" // requests no route serves (404/405)
)

// metrics are the lobby's Prometheus instruments. Every instrument is safe
// for concurrent use.
type metrics struct {
	reg *prometheus.Registry

	requests       *prometheus.CounterVec   // route, code
	latency        *prometheus.HistogramVec // route, code
	logins         *prometheus.CounterVec   // method, outcome
	logouts        *prometheus.CounterVec   // scope
	ticketWait     *prometheus.HistogramVec // mode, outcome
	passDuration   *prometheus.HistogramVec // mode
	matches        *prometheus.CounterVec   // mode
	allocFailures  *prometheus.CounterVec   // mode
	swept          *prometheus.CounterVec   // mode, result
	pushConns      prometheus.Gauge
	pushCloses     *prometheus.CounterVec // reason
	unavailable    *prometheus.CounterVec // backend
	rateLimited    *prometheus.CounterVec // limit
	cacheHits      *prometheus.CounterVec // kind, result
	depUp          *prometheus.GaugeVec   // dependency
	depFailures    *prometheus.CounterVec // dependency
	events         *prometheus.CounterVec // type, reason
	waitingMatches *prometheus.GaugeVec   // mode
}

// newMetrics registers the lobby's instruments and the queue-length
// collector on reg; with own set, reg is the lobby's own registry and gets
// the Go and process collectors too.
func newMetrics(reg *prometheus.Registry, own bool, st store.Store, modes []match.Mode) *metrics {
	m := &metrics{reg: reg}
	if own {
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	reg.MustRegister(buildinfo.Collector())
	const ns = "pantheon_lobby"
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: name, Help: help}, labels)
	}
	histogram := func(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: name, Help: help, Buckets: buckets}, labels)
	}
	m.requests = counter("http_requests_total", "HTTP requests answered, by route pattern and status code.", "route", "code")
	// 100 µs to ~3.3 s: logins are expected well under 10 ms.
	m.latency = histogram("http_request_duration_seconds", "Time to answer an HTTP request (to the upgrade for the push channel), by route pattern and status code.",
		prometheus.ExponentialBuckets(100e-6, 2, 16), "route", "code")
	m.logins = counter("logins_total", "Guest logins, platform logins and refreshes, by method (guest, provider, refresh) and outcome (ok or the error code).", "method", "outcome")
	m.logouts = counter("logouts_total", "Logouts, by scope (session, everywhere, console: an operator revoked the player's sessions).", "scope")
	// 250 ms to ~4 min: the ticket TTL is 2 minutes.
	m.ticketWait = histogram("ticket_wait_seconds", "How long tickets waited in the queue, by mode and how the wait ended (matched, expired, cancelled, failed).",
		prometheus.ExponentialBuckets(0.25, 2, 11), "mode", "outcome")
	m.passDuration = histogram("pass_duration_seconds", "Time of one matchmaking pass this replica led (snapshot, matchmaking, claims, room allocation), by mode.",
		prometheus.ExponentialBuckets(100e-6, 2, 16), "mode")
	m.matches = counter("matches_total", "Matches formed and claimed, by mode.", "mode")
	m.allocFailures = counter("allocation_failures_total", "Claimed matches no room server took (their tickets were requeued), by mode.", "mode")
	m.swept = counter("swept_tickets_total", "Tickets whose claim got no room within the assignment deadline, by mode and result (requeued, failed).", "mode", "result")
	m.pushConns = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "push_connections", Help: "Open push channel connections on this replica."})
	m.pushCloses = counter("push_closes_total", "Push connections ended, by reason (client, session_revoked, token_expired, slow_consumer, shutdown).", "reason")
	m.unavailable = counter("unavailable_total", "Operations that failed because a backing service was unavailable, by backend (state: the state store, db: the durable store).", "backend")
	m.rateLimited = counter("rate_limited_total", "Requests refused by a rate limit or backpressure, by limit (per_ip, login_per_ip, login_per_account, ip_blocked, tickets_per_player, queue_full, conns_per_ip, push_connections).", "limit")
	m.cacheHits = counter("db_cache_hits_total", "Ratings and rosters read for matchmaking, by kind (rating, roster) and result (fresh: from the database; stale: from the cache, the database being down; default: a rating never seen, the default; miss: a roster never seen, refused).", "kind", "result")
	m.depUp = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "dependency_up", Help: "1 while a dependency answers, 0 from its first failure until it answers again, by dependency (database, state_store)."}, []string{"dependency"})
	m.depFailures = counter("dependency_failures_total", "Failed calls to a dependency that showed it unavailable (pings, reads, requests, passes), by dependency (database, state_store); it grows while the dependency stays down.", "dependency")
	m.events = counter("events_total", "Push events published, one per player, by type (queue_status, match_found) and reason (none, no_room_server, waiting_for_server, assignment_timeout).", "type", "reason")
	m.waitingMatches = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "matches_waiting_for_server",
		Help: "Matches the last pass of a mode formed but held because no room server can take them, by mode (this replica, while it leads the mode)."}, []string{"mode"})
	reg.MustRegister(m.requests, m.latency, m.logins, m.logouts, m.ticketWait, m.passDuration, m.matches,
		m.allocFailures, m.swept, m.pushConns, m.pushCloses, m.unavailable, m.rateLimited, m.cacheHits, m.depUp, m.depFailures,
		m.events, m.waitingMatches,
		&queueCollector{st: st, modes: modes, unavailable: m.unavailable,
			desc: prometheus.NewDesc(ns+"_queue_length", "Tickets queued, by mode, read from the shared state store at scrape time (every replica reports the same queues).", []string{"mode"}, nil)})
	for _, mode := range modes {
		m.passDuration.WithLabelValues(mode.ID)
		m.matches.WithLabelValues(mode.ID)
		m.allocFailures.WithLabelValues(mode.ID)
		m.waitingMatches.WithLabelValues(mode.ID)
		for _, o := range []string{waitMatched, waitExpired, waitCancelled, waitFailed} {
			m.ticketWait.WithLabelValues(mode.ID, o)
		}
	}
	// Every counter the README lists is exported at 0 from start (a rate()
	// or an alert on a series that appears only once incremented misses
	// its first increment): one child per label value known up front.
	for _, mode := range modes {
		for _, r := range []string{"requeued", "failed"} {
			m.swept.WithLabelValues(mode.ID, r)
		}
	}
	m.requests.WithLabelValues(routeUnmatched, "404")
	for _, method := range []string{"guest", "provider", "refresh"} {
		m.logins.WithLabelValues(method, "ok")
	}
	for _, s := range []string{"session", "everywhere"} {
		m.logouts.WithLabelValues(s)
	}
	for _, code := range []int{0, CloseSessionRevoked, CloseTokenExpired, CloseSlowConsumer, CloseShutdown} {
		m.pushCloses.WithLabelValues(closeReason(code))
	}
	for _, lim := range []string{limitPerIP, limitConnsPerIP, limitPushConns, limitLoginPerIP, limitLoginPerAccount, limitIPBlocked, limitTickets, limitQueueFull} {
		m.rateLimited.WithLabelValues(lim)
	}
	for _, t := range []string{EventQueueStatus, EventMatchFound} {
		m.events.WithLabelValues(t, "none")
	}
	for _, b := range []string{"state", "db"} {
		m.unavailable.WithLabelValues(b)
	}
	for _, k := range []string{cacheRating, cacheRoster} {
		for _, r := range []string{cacheFresh, cacheStale, cacheDefault, cacheMiss} {
			if k == cacheRating && r == cacheMiss || k == cacheRoster && r == cacheDefault {
				continue
			}
			m.cacheHits.WithLabelValues(k, r)
		}
	}
	return m
}

// tracker returns the outage tracker of dependency, wired to the
// dependency_up gauge (1 from now on) and dependency_failures_total.
func (m *metrics) tracker(dependency string, log *slog.Logger, now func() time.Time) *outage.Tracker {
	up, failures := m.depUp.WithLabelValues(dependency), m.depFailures.WithLabelValues(dependency)
	up.Set(1)
	return outage.New(outage.Config{Name: dependency, Log: log, Now: now,
		OnChange: func(ok bool) {
			if ok {
				up.Set(1)
			} else {
				up.Set(0)
			}
		},
		OnFail: func(error) { failures.Inc() }})
}

// cacheEntries reports the database cache's sizes at scrape time.
func (m *metrics) cacheEntries(c *dbCache) {
	desc := prometheus.NewDesc("pantheon_lobby_db_cache_entries", "Entries held by the ratings and rosters caches, by kind (rating, roster).", []string{"kind"}, nil)
	m.reg.MustRegister(collectorFunc{desc: desc, collect: func(ch chan<- prometheus.Metric) {
		r, o := c.sizes()
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(r), cacheRating)
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(o), cacheRoster)
	}})
}

// collectorFunc is a collector of one description.
type collectorFunc struct {
	desc    *prometheus.Desc
	collect func(chan<- prometheus.Metric)
}

func (c collectorFunc) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }
func (c collectorFunc) Collect(ch chan<- prometheus.Metric) { c.collect(ch) }

// observeWait records how long a ticket waited and how the wait ended.
func (m *metrics) observeWait(mode, outcome string, wait time.Duration) {
	m.ticketWait.WithLabelValues(mode, outcome).Observe(max(wait, 0).Seconds())
}

// countUnavailable counts err when a backing service was unavailable.
func (m *metrics) countUnavailable(err error) {
	switch {
	case errors.Is(err, store.ErrUnavailable):
		m.unavailable.WithLabelValues("state").Inc()
	case errors.Is(err, persistence.ErrUnavailable):
		m.unavailable.WithLabelValues("db").Inc()
	}
}

// queueCollector reports each mode's queue length from the state store at
// scrape time, so every replica (leader or not) reports the shared queues.
// A store that does not answer within a second leaves the series out of
// that scrape and counts as unavailable.
type queueCollector struct {
	st          store.Store
	modes       []match.Mode
	unavailable *prometheus.CounterVec
	desc        *prometheus.Desc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for _, mode := range c.modes {
		n, err := c.st.QueueLen(ctx, mode.ID)
		if err != nil {
			if errors.Is(err, store.ErrUnavailable) {
				c.unavailable.WithLabelValues("state").Inc()
			}
			return
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), mode.ID)
	}
}

// statusWriter records the status code a handler answered with. It passes
// Hijack through (the push channel's upgrade) and unwraps for
// http.ResponseController.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack implements http.Hijacker for the WebSocket upgrade, which answers
// 101 on the hijacked connection.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil && w.code == 0 {
		w.code = http.StatusSwitchingProtocols
	}
	return c, rw, err
}

// instrument counts and times h's requests under route.
func (m *metrics) instrument(route string, w http.ResponseWriter, r *http.Request, h http.Handler) {
	sw := &statusWriter{ResponseWriter: w}
	start := time.Now()
	h.ServeHTTP(sw, r)
	code := sw.code
	if code == 0 {
		code = http.StatusOK
	}
	c := strconv.Itoa(code)
	m.requests.WithLabelValues(route, c).Inc()
	m.latency.WithLabelValues(route, c).Observe(time.Since(start).Seconds())
}
