package server

import (
	"net/http"

	"github.com/pantheon-oracles/pantheon/internal/buildinfo"
	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the room server's Prometheus instruments, registered on a
// registry of their own (never the global default) together with the Go
// and process collectors. Every instrument is safe for concurrent use; a
// room's goroutine only touches pre-resolved children (no label lookup,
// so no wait on a vector's lock).
type metrics struct {
	reg *prometheus.Registry

	tickDuration *prometheus.HistogramVec // mode
	tickLateness *prometheus.HistogramVec // mode
	overruns     *prometheus.CounterVec   // mode: ticks that took longer than their step
	lateTicks    *prometheus.CounterVec   // mode
	skippedTicks *prometheus.CounterVec   // mode
	rooms        *prometheus.GaugeVec     // state
	connections  *prometheus.GaugeVec     // transport
	bytesIn      *prometheus.CounterVec   // transport
	bytesOut     *prometheus.CounterVec   // transport
	snapshotsOut *prometheus.CounterVec   // transport
	inboxDrops   *prometheus.CounterVec   // reason: inbox_full, rate_limited, stale
	closes       *prometheus.CounterVec   // code: slow_consumer, rate_limited, ...
	admissions   *prometheus.CounterVec   // result: ok or the refusal code
	results      *prometheus.CounterVec   // outcome
	submitErrors prometheus.Counter
	panics       prometheus.Counter
	resultQueue  prometheus.Gauge
	// resultPending counts match ends told as result_pending; endHold is how
	// long clients waited for their match end (end to durable result).
	resultPending prometheus.Counter
	endHold       prometheus.Histogram
	// journalErrors counts failed journal writes; recovered counts rooms
	// recovered from the journal at start, by outcome recorded.
	journalErrors prometheus.Counter
	recovered     *prometheus.CounterVec
	endedDropped  prometheus.Counter
	logDrops      prometheus.Counter

	// Children resolved once for the room goroutines, which must not wait
	// on a metric vector's lock.
	admitted    prometheus.Counter                           // admissions{result="ok"}
	refusals    [netcode.CodeInternal + 1]prometheus.Counter // admissions by refusal code
	slowCloses  prometheus.Counter                           // connection_closes{code="slow_consumer"}
	roomsStates [numRoomStates]prometheus.Gauge              // rooms by state
}

// newMetrics registers the server's instruments on reg, with the per-mode
// series of every mode in modes created up front.
func newMetrics(reg *prometheus.Registry, modes []string) *metrics {
	m := &metrics{reg: reg}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildinfo.Collector(),
	)
	const ns = "pantheon_room"
	// Buckets from 50 us to ~1.6 s: a tick is expected well under 2 ms.
	tickBuckets := prometheus.ExponentialBuckets(50e-6, 2, 16)
	m.tickDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: ns, Name: "tick_duration_seconds", Help: "Time to run one room tick (inputs, step, snapshots).", Buckets: tickBuckets,
	}, []string{"mode"})
	m.tickLateness = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: ns, Name: "tick_lateness_seconds", Help: "How long after its due time a room's tick started.", Buckets: tickBuckets,
	}, []string{"mode"})
	m.overruns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "tick_overruns_total", Help: "Ticks that took longer than the tick period.",
	}, []string{"mode"})
	m.lateTicks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "ticks_late_total", Help: "Ticks run a full period or more after they were due.",
	}, []string{"mode"})
	m.skippedTicks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "ticks_skipped_total", Help: "Ticks dropped by the catch-up cap after a stall.",
	}, []string{"mode"})
	m.rooms = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: ns, Name: "rooms", Help: "Rooms hosted, by lifecycle state.",
	}, []string{"state"})
	m.connections = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: ns, Name: "connections", Help: "Open client connections, by transport.",
	}, []string{"transport"})
	m.bytesIn = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "bytes_in_total", Help: "Frame bytes received from clients.",
	}, []string{"transport"})
	m.bytesOut = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "bytes_out_total", Help: "Frame bytes sent to clients.",
	}, []string{"transport"})
	m.snapshotsOut = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "snapshots_sent_total", Help: "Snapshot frames written to clients (latest-wins replacements never written are not counted).",
	}, []string{"transport"})
	m.inboxDrops = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "input_drops_total", Help: "Client inputs dropped: inbox_full, rate_limited, stale (duplicate or old sequence).",
	}, []string{"reason"})
	m.closes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "connection_closes_total", Help: "Connections closed by the server, by error code (slow_consumer, rate_limited, ...).",
	}, []string{"code"})
	m.admissions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "admissions_total", Help: "Hello and resume attempts, by result (ok or the refusal code).",
	}, []string{"result"})
	m.results = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "results_total", Help: "Finished matches handed to the result sink, by outcome.",
	}, []string{"outcome"})
	m.submitErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: ns, Name: "result_submit_errors_total", Help: "Failed ResultSink.Submit calls (each is retried).",
	})
	m.panics = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: ns, Name: "panics_total", Help: "Rooms ended by a panic in their tick.",
	})
	m.resultQueue = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: ns, Name: "result_queue_length", Help: "Finished matches waiting for the result sink.",
	})
	m.resultPending = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: ns, Name: "result_pending_total", Help: "Match ends told to clients as result_pending: the result was not durable within the result wait.",
	})
	m.endHold = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: ns, Name: "end_hold_seconds", Help: "Time from a match's end to its clients hearing it (the result made durable).",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	})
	m.journalErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: ns, Name: "journal_errors_total", Help: "Failed room journal writes (the room was refused or its end not journaled).",
	})
	m.recovered = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Name: "journal_recovered_total", Help: "Rooms found open in the journal at start (lost in a crash), by the outcome recorded for them (aborted, or the result the sink already held).",
	}, []string{"outcome"})
	m.endedDropped = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: ns, Name: "matches_ended_dropped_total", Help: "Ended matches dropped from the lobby feed because it was full (the lobby never heard of them; their tickets stay assigned).",
	})
	m.logDrops = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: ns, Name: "log_records_dropped_total", Help: "Log records dropped because the log queue was full (a slow or blocked log writer).",
	})
	m.reg.MustRegister(m.tickDuration, m.tickLateness, m.overruns, m.lateTicks, m.skippedTicks,
		m.rooms, m.connections, m.bytesIn, m.bytesOut, m.snapshotsOut, m.inboxDrops, m.closes, m.admissions,
		m.results, m.submitErrors, m.panics, m.resultQueue, m.resultPending, m.endHold, m.journalErrors, m.recovered, m.endedDropped, m.logDrops)
	for _, mode := range modes {
		m.tickDuration.WithLabelValues(mode)
		m.tickLateness.WithLabelValues(mode)
		m.overruns.WithLabelValues(mode)
		m.lateTicks.WithLabelValues(mode)
		m.skippedTicks.WithLabelValues(mode)
	}
	for st := range numRoomStates {
		m.roomsStates[st] = m.rooms.WithLabelValues(st.String())
	}
	m.admitted = m.admissions.WithLabelValues("ok")
	for c := netcode.CodeProtocolError; int(c) < len(m.refusals); c++ {
		m.refusals[c] = m.admissions.WithLabelValues(c.String())
	}
	m.slowCloses = m.closes.WithLabelValues(netcode.CodeSlowConsumer.String())
	return m
}

// roomAdded counts a new room in the rooms gauge, as waiting.
func (m *metrics) roomAdded() { m.roomsStates[StateWaiting].Inc() }

// roomMoved moves one room from state from to state to in the rooms gauge.
func (m *metrics) roomMoved(from, to RoomState) {
	if from == to {
		return
	}
	m.roomsStates[from].Dec()
	m.roomsStates[to].Inc()
}

// roomGone takes a room in state from out of the rooms gauge.
func (m *metrics) roomGone(from RoomState) { m.roomsStates[from].Dec() }

// refused is the admissions counter of a refusal code.
func (m *metrics) refused(code netcode.Code) prometheus.Counter {
	if code > netcode.CodeNone && int(code) < len(m.refusals) {
		return m.refusals[code]
	}
	return m.refusals[netcode.CodeInternal] // not a refusal code of this build
}

// handler serves the registry in the Prometheus text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// modeMetrics are one mode's pre-resolved tick instruments, so a tick does
// no label lookup.
type modeMetrics struct {
	duration, lateness prometheus.Observer
	overruns, late     prometheus.Counter
	skipped            prometheus.Counter
}

func (m *metrics) forMode(mode string) modeMetrics {
	return modeMetrics{
		duration: m.tickDuration.WithLabelValues(mode),
		lateness: m.tickLateness.WithLabelValues(mode),
		overruns: m.overruns.WithLabelValues(mode),
		late:     m.lateTicks.WithLabelValues(mode),
		skipped:  m.skippedTicks.WithLabelValues(mode),
	}
}
