package match

import (
	"errors"
	"time"
)

// Window is the rating window, in Mu points, as a function of wait time:
// Base at zero wait, growing by PerSecond, capped at Max.
type Window struct {
	// Base is the window at zero wait, in Mu points. Default 2.
	Base float64 `json:"base"`
	// PerSecond is how much the window widens per second waited, in Mu
	// points. Default 0.25.
	PerSecond float64 `json:"per_second"`
	// Max caps the window, in Mu points. Default 20.
	Max float64 `json:"max"`
}

// At returns the window after waiting wait (negative waits count as zero).
func (w Window) At(wait time.Duration) float64 {
	if wait < 0 {
		wait = 0
	}
	v := w.Base + w.PerSecond*wait.Seconds()
	if v > w.Max {
		return w.Max
	}
	return v
}

// Uncertainty widens the window of tickets whose rating is still uncertain
// (new players): their Mu says little yet, so holding them to a narrow Mu
// gap only makes them wait. A settled ticket gets no extra window.
type Uncertainty struct {
	// Settled is the rating deviation (Ticket.Sigma) at or below which a
	// rating counts as settled and gets no extra window. Default 3 (a new
	// player starts at 25/3 and settles after a few dozen matches).
	Settled float64 `json:"settled"`
	// PerSigma is the extra window, in Mu points, per point of deviation
	// above Settled. Default 1: a brand-new solo player (Sigma 25/3) starts
	// with a window of 2 + 5.33 Mu points. Zero disables the widening.
	PerSigma float64 `json:"per_sigma"`
}

// Extra returns the extra window for a rating deviation of sigma.
func (u Uncertainty) Extra(sigma float64) float64 {
	if sigma <= u.Settled {
		return 0
	}
	return u.PerSigma * (sigma - u.Settled)
}

// Policy is the matchmaker's tunables shared by every mode.
type Policy struct {
	// Window is the rating window as a function of wait.
	Window Window `json:"window"`
	// Uncertainty widens the window of uncertain ratings (see WindowFor).
	Uncertainty Uncertainty `json:"uncertainty"`
	// TicketTTL: a ticket queued this long expires. Default 2 minutes.
	TicketTTL time.Duration `json:"ticket_ttl_ns"`
	// SearchLimit bounds how many rating neighbours of an anchor are
	// considered per match attempt. Default 48.
	SearchLimit int `json:"search_limit"`
	// SearchNodes bounds the team-assignment search per anchor (two-team
	// modes). Default 4096.
	SearchNodes int `json:"search_nodes"`
}

// DefaultPolicy returns the documented defaults.
func DefaultPolicy() Policy {
	return Policy{
		Window:      Window{Base: 2, PerSecond: 0.25, Max: 20},
		Uncertainty: Uncertainty{Settled: 3, PerSigma: 1},
		TicketTTL:   2 * time.Minute,
		SearchLimit: 48,
		SearchNodes: 4096,
	}
}

// WindowFor returns ticket t's rating window after waiting wait: the
// wait-time window plus the uncertainty widening for t.Sigma(), capped at
// Window.Max (no window ever exceeds Max).
func (p Policy) WindowFor(t Ticket, wait time.Duration) float64 {
	return min(p.Window.Max, p.Window.At(wait)+p.Uncertainty.Extra(t.Sigma()))
}

// Validate reports a policy the matchmaker cannot run with.
func (p Policy) Validate() error {
	switch {
	case p.Window.Base < 0 || p.Window.PerSecond < 0 || p.Window.Max < p.Window.Base:
		return errors.New("match: policy: window needs 0 <= base <= max and per_second >= 0")
	case !(p.Uncertainty.Settled >= 0) || !(p.Uncertainty.PerSigma >= 0):
		return errors.New("match: policy: uncertainty needs settled >= 0 and per_sigma >= 0")
	case p.TicketTTL <= 0:
		return errors.New("match: policy: ticket TTL must be positive")
	case p.SearchLimit < 1 || p.SearchNodes < 1:
		return errors.New("match: policy: search limits must be positive")
	}
	return nil
}
