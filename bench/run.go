package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/internal/buildinfo"
)

// maxReportedErrors bounds Report.Errors.
const maxReportedErrors = 5

// Run runs cfg's scenario against a running system and reports. It stops
// by itself: everything it does is bounded by the scenario's stages (or
// counts) and timeout, and it only talks to loopback addresses (or hosts
// named in cfg.AllowHosts). The report's Passed says whether every
// threshold held; err is for runs that could not be carried out.
func Run(ctx context.Context, cfg Config) (Report, error) {
	r, err := cfg.resolve()
	if err != nil {
		return Report{}, err
	}
	if err := r.validate(); err != nil {
		return Report{}, err
	}
	var ts []Threshold
	for _, spec := range r.thresholdSpecs() {
		t, _ := ParseThreshold(spec) // validated above
		ts = append(ts, t)
	}
	sc := r.sc
	start := time.Now()
	rep := Report{Run: header(r, start), Scenario: sc.Name}
	switch sc.Kind {
	case KindLobby, KindLogin:
		rep.Target = r.Lobby
	default:
		rep.Target = r.Target
	}
	bundle, err := content.Load()
	if err != nil {
		return rep, err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(sc.Timeout))
	defer cancel()
	runCtx, abort := context.WithCancel(ctx)
	defer abort()

	var nm *netem
	if sc.Network.Active() {
		nm = newNetem(sc.Network, r.Config)
		defer nm.close()
	}
	col := newCollector(start)
	mon := newMonitor(r, col, ts, start)
	mon.discover(ctx)
	mon.sample(ctx) // the baseline scrape every delta is taken from
	monCtx, stopMon := context.WithCancel(ctx)
	monDone := make(chan struct{})
	go func() {
		defer close(monDone)
		mon.loop(monCtx, func(why string) {
			rep.Aborted = why // read after monDone
			abort()
		})
	}()

	var sw *swarm
	var runErr error
	switch sc.Kind {
	case KindIdle:
		var part Report
		part, runErr = runIdle(runCtx, r, col)
		rep.Idle, rep.Errors, rep.Failed = part.Idle, part.Errors, part.Failed
	case KindLogin:
		var part Report
		part, runErr = runLogin(runCtx, r, col)
		rep.Login, rep.Errors, rep.Failed = part.Login, part.Errors, part.Failed
	default:
		sw = newSwarm(r, bundle, col, nm)
		sw.run(runCtx)
	}
	stopMon()
	<-monDone
	// The last scrape, once the clients are gone, so the servers' byte and
	// snapshot counters have everything the clients counted.
	fctx, fcancel := context.WithTimeout(context.Background(), 5*time.Second)
	mon.settle(fctx)
	mon.sample(fctx)
	fcancel()
	rep.Duration = time.Since(start)

	rep.Swarm = mon.swarmReport(sc)
	rep.Servers = mon.serverReports()
	rep.Bench = mon.benchReport(rep.Swarm)
	rep.Bench.InProcess = r.InProcess
	rep.Series = mon.series
	if sw != nil {
		_, _, first := col.errorCounts()
		rep.Errors = first
		rep.Failed = int(col.nErrors.Load())
		if sc.Kind == KindLobby {
			sw.mu.Lock()
			ids := append([]string(nil), sw.idList...)
			sw.mu.Unlock()
			mode := ""
			if len(sc.Modes) > 0 {
				mode = sc.Modes[0].Mode
			}
			rep.Match = matchReport(rep.Swarm, mode, ids)
		}
	}
	checkThresholds(&rep, ts)
	if runErr != nil && errors.Is(runErr, context.Canceled) && rep.Aborted != "" {
		runErr = nil // stopped on purpose; the report says why
	}
	if errors.Is(runErr, context.DeadlineExceeded) {
		runErr = fmt.Errorf("bench: the run hit its timeout (%v): %w", time.Duration(sc.Timeout), runErr)
	}
	return rep, runErr
}

// header describes the run and the build.
func header(r resolved, start time.Time) Header {
	h := Header{Time: start.UTC(), Scenario: r.sc, CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(),
		Config: RunConfig{Target: r.Target, Lobby: r.Lobby, LobbyAdmin: r.LobbyAdmin, AllowHosts: r.AllowHosts,
			Thresholds: r.thresholdSpecs(), AbortOnFail: r.AbortOnFail, FleetSecret: r.FleetSecret != ""}}
	h.Host, _ = os.Hostname()
	bi := buildinfo.Get() // stamped by make build, else the toolchain's VCS stamp
	h.Version = bi.Version
	h.Commit, h.Modified = strings.CutSuffix(bi.Commit, "-dirty")
	return h
}
