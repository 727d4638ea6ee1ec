package bench

import (
	"context"
	"time"
)

// maxReportedErrors bounds Report.Errors.
const maxReportedErrors = 5

// Run runs cfg's scenario against a running system and reports.
// It stops by itself: everything it does is bounded by cfg.Clients and
// cfg.Timeout, and it only talks to loopback addresses.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if err := cfg.Validate(); err != nil {
		return Report{}, err
	}
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	start := time.Now()
	run := runIdle
	switch cfg.Scenario {
	case ScenarioMatch:
		run = runMatch
	case ScenarioLogin:
		run = runLogin
	}
	rep, err := run(ctx, cfg)
	rep.Duration = time.Since(start)
	return rep, err
}
