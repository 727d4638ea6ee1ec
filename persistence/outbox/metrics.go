package outbox

import "github.com/prometheus/client_golang/prometheus"

// metrics are the outbox's Prometheus metrics.
type metrics struct {
	reg            prometheus.Registerer
	all            []prometheus.Collector
	pendingRecords prometheus.Gauge
	pendingBytes   prometheus.Gauge
	flushed        prometheus.Counter
	failures       prometheus.Counter
	rejected       prometheus.Counter
	deadLetters    prometheus.Counter
	flushSeconds   prometheus.Histogram
	syncSeconds    prometheus.Histogram
}

// newMetrics creates the metrics and registers them on reg (nil: not
// registered, still counted).
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		reg: reg,
		pendingRecords: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pantheon_outbox_pending_records",
			Help: "Match results durable in the outbox and not yet flushed to the store."}),
		pendingBytes: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pantheon_outbox_pending_bytes",
			Help: "Encoded bytes of the pending match results."}),
		flushed: prometheus.NewCounter(prometheus.CounterOpts{Name: "pantheon_outbox_flushed_records_total",
			Help: "Match results flushed to the store (including ones the store already had)."}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "pantheon_outbox_flush_failures_total",
			Help: "Flush attempts that failed and will be retried."}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{Name: "pantheon_outbox_rejected_full_total",
			Help: "Submits refused because the outbox was full."}),
		deadLetters: prometheus.NewCounter(prometheus.CounterOpts{Name: "pantheon_outbox_dead_letters_total",
			Help: "Match results the store refused for good, moved to deadletter.seg."}),
		flushSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "pantheon_outbox_flush_seconds",
			Help: "Latency of one ApplyMatches batch.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
		syncSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "pantheon_outbox_fsync_seconds",
			Help: "Latency of one fsync of the outbox log.", Buckets: prometheus.ExponentialBuckets(0.0001, 2, 14)}),
	}
	m.all = []prometheus.Collector{m.pendingRecords, m.pendingBytes, m.flushed, m.failures, m.rejected, m.deadLetters, m.flushSeconds, m.syncSeconds}
	if reg == nil {
		return m, nil
	}
	for i, c := range m.all {
		if err := reg.Register(c); err != nil {
			for _, done := range m.all[:i] {
				reg.Unregister(done)
			}
			return nil, err
		}
	}
	return m, nil
}

// unregister removes the metrics from the registerer, so the directory can
// be reopened on the same registry.
func (m *metrics) unregister() {
	if m.reg == nil {
		return
	}
	for _, c := range m.all {
		m.reg.Unregister(c)
	}
}
