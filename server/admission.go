package server

import (
	"github.com/pantheon-oracles/pantheon/netcode/transport"
	"github.com/prometheus/client_golang/prometheus"
)

// admissionCollector exports the admission gates' refusals of every
// listener as pantheon_room_admission_refused_total{transport,reason},
// read from the listeners' Stats at scrape time:
//
//   - total, per_address, per_prefix: a new session closed at once by a
//     pending-hello cap (transport.Config.MaxPending and the per-source
//     caps);
//   - evicted: a waiting session closed to make room for a source that
//     held none;
//   - hello_timeout, bad_hello: no well-formed hello in time;
//   - queue_full: admitted but the accept queue was full;
//   - conns_per_ip: a WebSocket TCP connection closed unread by the
//     per-IP connection cap (Config.ConnsPerIP).
//
// Refusals after the gate (tickets, versions) are
// pantheon_room_admissions_total{result}.
type admissionCollector struct {
	s    *Server
	desc *prometheus.Desc
}

func newAdmissionCollector(s *Server) *admissionCollector {
	return &admissionCollector{s: s, desc: prometheus.NewDesc("pantheon_room_admission_refused_total",
		"Sessions refused or closed by a listener's admission gate before their hello was checked, by transport and reason.",
		[]string{"transport", "reason"}, nil)}
}

// sealedDroppedDesc is the KCP datagrams a sealing listener dropped
// before KCP saw them (PROTOCOL.md section 2.1), by reason.
var sealedDroppedDesc = prometheus.NewDesc("pantheon_room_kcp_sealed_dropped_total",
	"KCP datagrams dropped by the sealing socket before KCP saw them, by reason (short, unknown_key, bad_auth, other_key).",
	[]string{"reason"}, nil)

// Describe implements prometheus.Collector.
func (c *admissionCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.desc
	ch <- sealedDroppedDesc
}

// Collect implements prometheus.Collector.
func (c *admissionCollector) Collect(ch chan<- prometheus.Metric) {
	c.s.mu.Lock()
	lns := append([]listener(nil), c.s.listeners...)
	c.s.mu.Unlock()
	// Listeners of one transport (a test harness adds its own beside the
	// server's) are summed: one series per transport and reason.
	type key struct{ transport, reason string }
	sums := map[key]uint64{}
	var order []key
	for _, l := range lns {
		sl, ok := l.(interface{ Stats() transport.Stats })
		if !ok {
			continue
		}
		st := sl.Stats()
		for _, v := range []struct {
			reason string
			n      uint64
		}{
			{transport.RefusedTotal, st.OverPending}, {transport.RefusedAddress, st.OverAddress},
			{transport.RefusedPrefix, st.OverPrefix}, {transport.Evicted, st.Evicted},
			{"hello_timeout", st.HelloTimeouts}, {"bad_hello", st.BadHellos},
			{"queue_full", st.QueueFull}, {"conns_per_ip", st.OverIP},
		} {
			k := key{l.Transport(), v.reason}
			if _, seen := sums[k]; !seen {
				order = append(order, k)
			}
			sums[k] += v.n
		}
	}
	for _, k := range order {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(sums[k]), k.transport, k.reason)
	}
	var sealed transport.SealStats
	for _, l := range lns {
		if sl, ok := l.(interface{ SealStats() transport.SealStats }); ok {
			st := sl.SealStats()
			sealed.Short += st.Short
			sealed.UnknownKey += st.UnknownKey
			sealed.BadAuth += st.BadAuth
			sealed.OtherKey += st.OtherKey
		}
	}
	for _, v := range []struct {
		reason string
		n      uint64
	}{{"short", sealed.Short}, {"unknown_key", sealed.UnknownKey}, {"bad_auth", sealed.BadAuth}, {"other_key", sealed.OtherKey}} {
		ch <- prometheus.MustNewConstMetric(sealedDroppedDesc, prometheus.CounterValue, float64(v.n), v.reason)
	}
}
