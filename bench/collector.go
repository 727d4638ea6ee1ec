package bench

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// metric identifies one latency the bots measure.
type metric int

// The latencies the bots measure, per mode and transport.
const (
	mLogin       metric = iota // POST /v1/auth/guest, request to answer
	mQueue                     // POST /v1/tickets to the match_found event
	mMatchCreate               // POST /v1/rooms on the control API (direct)
	mJoin                      // dial + hello + welcome on the room server
	mInputAck                  // an input's first send to the snapshot that acks it
	mRTT                       // ping to pong
	mJitter                    // |snapshot interval - tick period|
	nMetrics
)

var metricNames = [nMetrics]string{"login", "queue", "match_create", "join", "input_ack", "rtt", "snapshot_jitter"}

// String is the metric's name in reports and thresholds.
func (m metric) String() string { return metricNames[m] }

// Bot states, for the progress line and the bots-over-time chart.
const (
	stLogin = iota
	stQueue
	stJoin
	stPlay
	stWait // between matches or backing off after an error
	stDone
	nStates
)

var stateNames = [nStates]string{"login", "queue", "join", "play", "wait", "done"}

// keyStats is what the bots of one mode and transport measured. Bots
// resolve theirs once, so recording takes no map lookup.
type keyStats struct {
	mode, transport string
	h               [nMetrics]liveHist
	bytesIn         atomic.Uint64 // frame bytes received from the server
	bytesOut        atomic.Uint64 // frame bytes sent to the server
	snapshots       atomic.Uint64 // snapshot frames received
	connected       atomic.Int64  // clients connected now
	bots            atomic.Int64  // bots ever started with this key
	resumes         atomic.Uint64
	inputs          atomic.Uint64
	rateMismatch    atomic.Uint64 // welcomes whose tick rate differs from the scenario's
	// clientNs accumulates connected clients x time (ns), updated at each
	// roll; lastIn/lastOut are the byte counters at the last roll.
	clientNs        float64
	lastIn, lastOut uint64
}

// collector gathers everything a run measures from every bot; all of its
// methods are safe for concurrent use.
type collector struct {
	start time.Time

	mu   sync.Mutex
	keys map[[2]string]*keyStats
	list []*keyStats

	states   [nStates]atomic.Int64
	matches  atomic.Int64 // rooms joined (distinct matches)
	finished atomic.Int64 // matches played to the server's end

	emu         sync.Mutex
	errors      map[string]int // by cause
	disconnects map[string]int // by cause
	firstErrors []string
	nErrors     atomic.Int64

	lag liveHist // how late the scheduler's steps ran (bench health)
}

func newCollector(start time.Time) *collector {
	return &collector{start: start, keys: map[[2]string]*keyStats{}, errors: map[string]int{}, disconnects: map[string]int{}}
}

// key returns the stats of mode over transport, creating them.
func (c *collector) key(mode, transport string) *keyStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := [2]string{mode, transport}
	ks := c.keys[k]
	if ks == nil {
		ks = &keyStats{mode: mode, transport: transport}
		c.keys[k] = ks
		c.list = append(c.list, ks)
		slices.SortFunc(c.list, func(a, b *keyStats) int {
			return strings.Compare(a.mode+"/"+a.transport, b.mode+"/"+b.transport)
		})
	}
	return ks
}

func (c *collector) keyList() []*keyStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.list)
}

// move changes a bot's state from one to another (from < 0: a new bot).
func (c *collector) move(from, to int) {
	if from >= 0 {
		c.states[from].Add(-1)
	}
	c.states[to].Add(1)
}

// fail counts an error of cause (a short stable label, e.g. "login:
// rate_limited") and keeps the first few messages.
func (c *collector) fail(cause string, err error) {
	c.nErrors.Add(1)
	c.emu.Lock()
	defer c.emu.Unlock()
	c.errors[cause]++
	if len(c.firstErrors) < maxReportedErrors && err != nil {
		c.firstErrors = append(c.firstErrors, cause+": "+err.Error())
	}
}

// disconnect counts the end of one room connection by cause.
func (c *collector) disconnect(cause string) {
	c.emu.Lock()
	c.disconnects[cause]++
	c.emu.Unlock()
}

func (c *collector) errorCounts() (errs, disc map[string]int, first []string) {
	c.emu.Lock()
	defer c.emu.Unlock()
	errs, disc = map[string]int{}, map[string]int{}
	for k, v := range c.errors {
		errs[k] = v
	}
	for k, v := range c.disconnects {
		disc[k] = v
	}
	return errs, disc, slices.Clone(c.firstErrors)
}
