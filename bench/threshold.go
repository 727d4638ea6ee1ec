package bench

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ThresholdExitCode is what `pantheon bench` exits with when a threshold
// failed (k6's code for the same).
const ThresholdExitCode = 99

// DefaultThresholds are the design's SLOs, checked on every run unless
// Config.NoDefaultThresholds: login p95 under 300 ms, match (room)
// creation p95 under 1 s, tick p95 under 150 ms. A threshold whose metric
// has no samples in a run (no logins in a direct run) is reported as
// "no data" and does not fail.
var DefaultThresholds = []string{"login.p95<300ms", "match_create.p95<1s", "tick.p95<150ms"}

// Threshold is one pass/fail rule: Metric.Stat Op Value.
//
// Metrics: the bots' latencies (login, queue, match_create, join,
// input_ack, rtt, snapshot_jitter), the servers' tick and tick_lateness
// (from their /metrics, all modes; tick_<mode> for one), and the scalars
// errors, resumes, disconnects (unexpected ones), bytes_in_per_client and
// bytes_out_per_client (bytes per connected client per second), and
// bench_cpu (cores the bench used on average). Stats for latencies: p50,
// p90, p95, p99, max, mean, count; scalars take none. Values of latencies
// carry a unit (us, ms, s); scalars are plain numbers.
type Threshold struct {
	Spec   string
	Metric string
	Stat   string
	Op     string
	Value  float64 // milliseconds for latencies
}

var thresholdRE = regexp.MustCompile(`^\s*([a-z_0-9]+)(?:\.([a-z0-9]+))?\s*(<=|>=|<|>)\s*([0-9.]+)\s*(us|µs|ms|s|m)?\s*$`)

var scalarMetrics = map[string]bool{"errors": true, "resumes": true, "disconnects": true,
	"bytes_in_per_client": true, "bytes_out_per_client": true, "bench_cpu": true}

// ParseThreshold parses a rule such as "input_ack.p99<100ms" or
// "errors<1".
func ParseThreshold(spec string) (Threshold, error) {
	t, err := parseThreshold(spec)
	if err != nil {
		return Threshold{}, fmt.Errorf("bench: %w", err)
	}
	return t, nil
}

// parseThreshold is ParseThreshold with errors not prefixed, for callers
// inside the package that wrap them once.
func parseThreshold(spec string) (Threshold, error) {
	m := thresholdRE.FindStringSubmatch(spec)
	if m == nil {
		return Threshold{}, fmt.Errorf("threshold %q: want metric.stat<value, e.g. input_ack.p99<100ms or errors<1", spec)
	}
	t := Threshold{Spec: strings.TrimSpace(spec), Metric: m[1], Stat: m[2], Op: m[3]}
	v, err := strconv.ParseFloat(m[4], 64)
	if err != nil {
		return Threshold{}, fmt.Errorf("threshold %q: %w", spec, err)
	}
	if t.Metric == "failures" { // the scenario files' older spelling
		t.Metric = "errors"
	}
	if scalarMetrics[t.Metric] {
		if m[5] != "" || (t.Stat != "" && t.Stat != "count") {
			return Threshold{}, fmt.Errorf("threshold %q: %s is a plain number (no stat, no unit)", spec, t.Metric)
		}
		t.Stat, t.Value = "", v
		return t, nil
	}
	if !isLatencyMetric(t.Metric) {
		return Threshold{}, fmt.Errorf("threshold %q: unknown metric %q", spec, t.Metric)
	}
	switch t.Stat {
	case "p50", "p90", "p95", "p99", "max", "mean":
		unit := map[string]float64{"us": 1e-3, "µs": 1e-3, "ms": 1, "s": 1e3, "m": 60e3}
		f, ok := unit[m[5]]
		if !ok {
			return Threshold{}, fmt.Errorf("threshold %q: a latency needs a unit (us, ms, s)", spec)
		}
		t.Value = v * f
	case "count":
		if m[5] != "" {
			return Threshold{}, fmt.Errorf("threshold %q: a count has no unit", spec)
		}
		t.Value = v
	default:
		return Threshold{}, fmt.Errorf("threshold %q: stat %q: want p50, p90, p95, p99, max, mean or count", spec, t.Stat)
	}
	return t, nil
}

func isLatencyMetric(name string) bool {
	for _, n := range metricNames {
		if n == name {
			return true
		}
	}
	return name == "tick" || name == "tick_lateness" || strings.HasPrefix(name, "tick_")
}

// ThresholdResult is a threshold checked against a run.
type ThresholdResult struct {
	Threshold string  `json:"threshold"`
	Actual    float64 `json:"actual"` // ms for latencies
	Passed    bool    `json:"passed"`
	NoData    bool    `json:"no_data,omitempty"` // no samples: not checked, not failed
}

func (t Threshold) holds(v float64) bool {
	switch t.Op {
	case "<":
		return v < t.Value
	case "<=":
		return v <= t.Value
	case ">":
		return v > t.Value
	}
	return v >= t.Value
}

// check evaluates t against rep.
func (t Threshold) check(rep *Report) ThresholdResult {
	res := ThresholdResult{Threshold: t.Spec}
	v, ok := rep.value(t.Metric, t.Stat)
	if !ok {
		res.NoData, res.Passed = true, true
		return res
	}
	res.Actual, res.Passed = v, t.holds(v)
	return res
}

// monotone reports whether an early failure of t is final enough for
// --abort-on-fail: counts and maxima only grow; a quantile is trusted
// once it has 100 samples.
func (t Threshold) monotone(rep *Report) bool {
	switch {
	case t.Op == ">" || t.Op == ">=":
		return false
	case t.Metric == "errors" || t.Metric == "resumes" || t.Metric == "disconnects":
		return true
	case scalarMetrics[t.Metric]:
		return false
	case t.Stat == "count" || t.Stat == "max":
		return true
	}
	l, ok := rep.latency(t.Metric)
	return ok && l.Count >= 100
}

// value looks metric.stat up in rep.
func (rep *Report) value(metricName, stat string) (float64, bool) {
	if sw := rep.Swarm; sw != nil {
		switch metricName {
		case "errors":
			return float64(rep.Failed), true
		case "resumes":
			return float64(sw.Resumes), true
		case "disconnects":
			n := 0
			for cause, c := range sw.Disconnects {
				if cause != "match_end" && cause != "run_end" && cause != "quit" {
					n += c
				}
			}
			return float64(n), true
		case "bytes_in_per_client":
			return sw.InPerClientSec, sw.ClientSeconds > 0
		case "bytes_out_per_client":
			return sw.OutPerClientSec, sw.ClientSeconds > 0
		}
	}
	if metricName == "bench_cpu" {
		return rep.Bench.CPUCores, rep.Bench.CPUCores > 0
	}
	l, ok := rep.latency(metricName)
	if !ok || l.Count == 0 {
		return 0, false
	}
	switch stat {
	case "p50":
		return ms(l.P50), true
	case "p90":
		// Not kept separately; p95 bounds it from above.
		return ms(l.P95), true
	case "p95":
		return ms(l.P95), true
	case "p99":
		return ms(l.P99), true
	case "max":
		return ms(l.Max), true
	case "mean":
		return ms(l.Mean), true
	case "count":
		return float64(l.Count), true
	}
	return 0, false
}

// latency finds a latency by threshold metric name.
func (rep *Report) latency(name string) (Latency, bool) {
	if name == "tick" || name == "tick_lateness" || strings.HasPrefix(name, "tick_") {
		var merged promHist
		for _, s := range rep.Servers {
			hs := s.tickHists
			if name == "tick_lateness" {
				hs = s.lateHists
			}
			for mode, h := range hs {
				if name != "tick" && name != "tick_lateness" && name != "tick_"+mode {
					continue
				}
				if merged == nil {
					merged = promHist{}
				}
				for le, v := range h {
					merged[le] += v
				}
			}
		}
		if merged == nil || merged.count() == 0 {
			return Latency{}, false
		}
		return merged.latency(), true
	}
	if rep.Swarm == nil {
		return Latency{}, false
	}
	l, ok := rep.Swarm.Latency[name]
	return l, ok && l.Count > 0
}

// checkThresholds evaluates every threshold and sets rep.Passed.
func checkThresholds(rep *Report, ts []Threshold) {
	rep.Thresholds = rep.Thresholds[:0]
	rep.Passed = true
	for _, t := range ts {
		r := t.check(rep)
		rep.Thresholds = append(rep.Thresholds, r)
		rep.Passed = rep.Passed && r.Passed
	}
}
