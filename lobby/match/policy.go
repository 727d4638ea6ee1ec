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

// Policy is the matchmaker's tunables shared by every mode.
type Policy struct {
	// Window is the rating window as a function of wait.
	Window Window `json:"window"`
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
		TicketTTL:   2 * time.Minute,
		SearchLimit: 48,
		SearchNodes: 4096,
	}
}

// Validate reports a policy the matchmaker cannot run with.
func (p Policy) Validate() error {
	switch {
	case p.Window.Base < 0 || p.Window.PerSecond < 0 || p.Window.Max < p.Window.Base:
		return errors.New("match: policy: window needs 0 <= base <= max and per_second >= 0")
	case p.TicketTTL <= 0:
		return errors.New("match: policy: ticket TTL must be positive")
	case p.SearchLimit < 1 || p.SearchNodes < 1:
		return errors.New("match: policy: search limits must be positive")
	}
	return nil
}
