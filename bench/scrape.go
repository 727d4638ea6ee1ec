package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// page is one scrape of a Prometheus text page: every sample by its
// series as printed (name{labels}).
type page map[string]float64

// parsePage reads the Prometheus text format (as promhttp writes it: no
// timestamps, labels in a fixed order).
func parsePage(r io.Reader) (page, error) {
	p := page{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i <= 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		p[line[:i]] = v
	}
	return p, sc.Err()
}

// parseMetric finds `name value` in the Prometheus text format.
func parseMetric(r io.Reader, name string) (float64, error) {
	p, err := parsePage(r)
	if err != nil {
		return 0, err
	}
	v, ok := p[name]
	if !ok {
		return 0, fmt.Errorf("bench: metric %s not exposed", name)
	}
	return v, nil
}

// label returns the value of label key in a series name{k="v",...}.
func label(series, key string) string {
	i := strings.Index(series, "{"+key+"=\"")
	if i < 0 {
		i = strings.Index(series, ","+key+"=\"")
	}
	if i < 0 {
		return ""
	}
	rest := series[i+len(key)+3:]
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return rest[:j]
}

// sum adds the samples of metric name over all its label sets (and the
// unlabelled one), optionally filtered by by(series).
func (p page) sum(name string) float64 {
	t := 0.0
	for s, v := range p {
		if s == name || strings.HasPrefix(s, name+"{") {
			t += v
		}
	}
	return t
}

// byLabel groups the samples of name by the value of label key.
func (p page) byLabel(name, key string) map[string]float64 {
	out := map[string]float64{}
	for s, v := range p {
		if strings.HasPrefix(s, name+"{") {
			out[label(s, key)] += v
		}
	}
	return out
}

// promHist is a Prometheus histogram's cumulative buckets (upper bound ->
// count), for one label set or merged.
type promHist map[float64]float64

// histograms returns the buckets of histogram name by the value of label
// key ("" merges them all).
func (p page) histograms(name, key string) map[string]promHist {
	out := map[string]promHist{}
	for s, v := range p {
		if !strings.HasPrefix(s, name+"_bucket{") {
			continue
		}
		le, err := strconv.ParseFloat(label(s, "le"), 64)
		if label(s, "le") == "+Inf" {
			le, err = math.Inf(1), nil
		}
		if err != nil {
			continue
		}
		k := ""
		if key != "" {
			k = label(s, key)
		}
		if out[k] == nil {
			out[k] = promHist{}
		}
		out[k][le] += v
	}
	return out
}

// minus returns h's counts less an earlier scrape's (a delta histogram).
func (h promHist) minus(earlier promHist) promHist {
	out := promHist{}
	for le, v := range h {
		out[le] = v - earlier[le]
	}
	return out
}

// count is the histogram's sample count (its +Inf bucket).
func (h promHist) count() float64 { return h[math.Inf(1)] }

// quantile estimates the q-quantile as Prometheus's histogram_quantile
// does: linear within the bucket that holds the rank; in the +Inf bucket
// it answers the largest finite bound. Seconds; 0 without samples.
func (h promHist) quantile(q float64) float64 {
	les := make([]float64, 0, len(h))
	for le := range h {
		les = append(les, le)
	}
	slices.Sort(les)
	total := h.count()
	if total <= 0 || len(les) == 0 {
		return 0
	}
	rank := q * total
	prevLe, prevN := 0.0, 0.0
	for _, le := range les {
		n := h[le]
		if n >= rank {
			if math.IsInf(le, 1) {
				return prevLe
			}
			if n == prevN {
				return le
			}
			return prevLe + (le-prevLe)*(rank-prevN)/(n-prevN)
		}
		prevLe, prevN = le, n
	}
	return prevLe
}

// latency summarises a delta histogram in the report's shape (Max is the
// upper bound of the highest non-empty bucket).
func (h promHist) latency() Latency {
	n := h.count()
	if n <= 0 {
		return Latency{}
	}
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	les := make([]float64, 0, len(h))
	for le := range h {
		les = append(les, le)
	}
	slices.Sort(les)
	top, prev := 0.0, 0.0
	for _, le := range les {
		if h[le] > prev {
			top = le
			if math.IsInf(le, 1) {
				top = les[max(0, len(les)-2)]
			}
		}
		prev = h[le]
	}
	return Latency{Count: int(n), P50: sec(h.quantile(0.5)), P95: sec(h.quantile(0.95)), P99: sec(h.quantile(0.99)), Max: sec(top)}
}

// scrapeTarget is one /metrics page the bench reads during a run.
type scrapeTarget struct {
	name   string // e.g. "room dev-room"
	kind   string // "room" or "lobby"
	url    string // base URL; /metrics is appended
	secret string // bearer secret, "" for none
}

func (t scrapeTarget) get(ctx context.Context, hc *http.Client) (page, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	if t.secret != "" {
		req.Header.Set("Authorization", "Bearer "+t.secret)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("bench: scrape %s: %w", t.name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("bench: scrape %s: %s", t.name, resp.Status)
	}
	return parsePage(io.LimitReader(resp.Body, 16<<20))
}

// lobbyRoomServers asks the lobby which room servers it knows (GET
// /v1/servers, fleet secret) and returns them as scrape targets.
func lobbyRoomServers(ctx context.Context, hc *http.Client, lobby, secret string) ([]scrapeTarget, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, lobby+"/v1/servers", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("bench: list room servers: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("bench: list room servers: %s", resp.Status)
	}
	var list struct {
		Servers []struct {
			ServerID   string `json:"server_id"`
			ControlURL string `json:"control_url"`
		} `json:"servers"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&list); err != nil {
		return nil, fmt.Errorf("bench: list room servers: %w", err)
	}
	var out []scrapeTarget
	for _, s := range list.Servers {
		out = append(out, scrapeTarget{name: "room " + s.ServerID, kind: "room", url: strings.TrimSuffix(s.ControlURL, "/"), secret: secret})
	}
	return out, nil
}
