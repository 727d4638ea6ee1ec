package bench

import (
	_ "embed"
	"encoding/json"
	"html/template"
	"io"
	"time"
)

// chartJS is Chart.js, vendored under bench/report (see its README), so an
// HTML report needs no network to open.
//
//go:embed report/chart.umd.min.js
var chartJS string

//go:embed report/report.html.tmpl
var reportTemplate string

var reportHTML = template.Must(template.New("report").Funcs(template.FuncMap{
	"ms":  func(d time.Duration) string { return trimFloat(ms(d)) },
	"mib": func(b float64) float64 { return b / (1 << 20) },
	"counts": func(m map[string]int) string {
		s := fmtCounts(m)
		if s == "" {
			return "none"
		}
		return s
	},
}).Parse(reportTemplate))

// latencyRow is one line of the HTML report's latency table.
type latencyRow struct {
	Name string
	L    Latency
}

// WriteHTML writes the report as one self-contained HTML page: the
// summary tables and thresholds, and charts (latency histograms,
// percentiles over time, bytes per client, tick p99 per mode, bots and
// errors, CPU) drawn by the embedded Chart.js from the report's own JSON.
// It loads nothing from the network. When the page has drawn its charts
// it sets data-charts on <body> to their number.
func (r Report) WriteHTML(w io.Writer) error {
	r.DurationMs = ms(r.Duration)
	data, err := json.Marshal(r) // escapes <, > and & so it cannot end the script element
	if err != nil {
		return err
	}
	var rows []latencyRow
	if r.Swarm != nil {
		for _, n := range metricNames {
			if l, ok := r.Swarm.Latency[n]; ok && l.Count > 0 {
				rows = append(rows, latencyRow{n, l})
			}
		}
	}
	for _, s := range r.Servers {
		for mode, l := range s.Tick {
			rows = append(rows, latencyRow{"tick " + mode + " (" + s.Name + ")", l})
		}
	}
	return reportHTML.Execute(w, struct {
		Report
		Commit       string
		DurationText string
		LatencyRows  []latencyRow
		ChartJS      template.JS
		DataJSON     template.JS
	}{r, shortCommit(r.Run.Commit, r.Run.Modified), r.Duration.Round(time.Millisecond).String(), rows,
		template.JS(chartJS), template.JS(data)})
}
