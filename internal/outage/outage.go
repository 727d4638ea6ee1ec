package outage

import (
	"log/slog"
	"sync"
	"time"
)

// Config configures a Tracker. Every field is optional except Name.
type Config struct {
	// Name names the dependency in log lines (attribute "dependency").
	Name string
	// Log receives the two lines of an outage: "dependency down" at warn
	// level and "dependency recovered" at info level. Nil logs nothing.
	Log *slog.Logger
	// Now is the clock that measures outages. Default time.Now.
	Now func() time.Time
	// OnChange, when set, is called on every change of state (up false
	// when the dependency went down, true when it recovered), under the
	// tracker's lock, so calls arrive in order; it must not call back into
	// the tracker.
	OnChange func(up bool)
	// OnFail, when set, is called for every failure reported with Fail,
	// the first of an outage included (for a failure counter). It runs
	// under the tracker's lock and must not call back into the tracker.
	OnFail func(err error)
}

// Tracker is the up/down state of one dependency. It is safe for
// concurrent use.
type Tracker struct {
	cfg Config

	mu       sync.Mutex
	down     bool
	since    time.Time // start of the current outage
	failures int64     // failures reported during the current outage
}

// New returns a tracker of the dependency cfg names, presumed up.
func New(cfg Config) *Tracker {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Tracker{cfg: cfg}
}

// Fail reports a failed call that shows the dependency down. The first
// failure of an outage logs one warning with err and calls OnChange(false);
// later ones only count. It reports whether this call started an outage.
func (t *Tracker) Fail(err error) (wentDown bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cfg.OnFail != nil {
		t.cfg.OnFail(err)
	}
	t.failures++
	if t.down {
		return false
	}
	t.down, t.since, t.failures = true, t.cfg.Now(), 1
	if t.cfg.Log != nil {
		t.cfg.Log.Warn("dependency down", "dependency", t.cfg.Name, "err", err)
	}
	if t.cfg.OnChange != nil {
		t.cfg.OnChange(false)
	}
	return true
}

// OK reports a successful call. If the dependency was down it logs one
// line with the outage's duration and the failures seen, calls
// OnChange(true), and returns recovered true with that duration.
func (t *Tracker) OK() (recovered bool, outage time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.down {
		return false, 0
	}
	outage = t.cfg.Now().Sub(t.since)
	t.down = false
	if t.cfg.Log != nil {
		t.cfg.Log.Info("dependency recovered", "dependency", t.cfg.Name, "outage", outage, "failures", t.failures)
	}
	if t.cfg.OnChange != nil {
		t.cfg.OnChange(true)
	}
	return true, outage
}

// Down reports whether the dependency is down, and since when.
func (t *Tracker) Down() (down bool, since time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.down, t.since
}
