package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"

	"github.com/pantheon-oracles/pantheon/bench"
)

// Exit codes of pantheon bench: 0 every threshold held; 1 the run could
// not be carried out; 2 bad usage; bench.ThresholdExitCode (99) a
// threshold failed.

// runBench runs a bench scenario against a running system, printing a
// progress line every second to stderr and the report to stdout (and, with
// -out, report.json and report.html into a directory). Flags can also come
// from PANTHEON_BENCH_<FLAG>; the command line wins.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pantheon bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg bench.Config
	var format, out, netSpec string
	var thresholds, allow multiFlag
	var list, quiet bool
	var cpuProfile string
	fs.StringVar(&cfg.Scenario, "scenario", bench.ScenarioIdle, "bundled scenario ("+strings.Join(bench.Scenarios(), ", ")+") or a path to a scenario .json file")
	fs.BoolVar(&list, "list", false, "list the bundled scenarios and exit")
	fs.StringVar(&cfg.Target, "target", "http://127.0.0.1:7002", "room server admin/control URL (direct and idle kinds; scraped for /metrics)")
	fs.StringVar(&cfg.FleetSecret, "fleet-secret", "", "the room servers' fleet secret, or @FILE (direct and idle; lets lobby runs scrape room servers; env PANTHEON_BENCH_FLEET_SECRET)")
	fs.StringVar(&cfg.Lobby, "lobby", "http://127.0.0.1:8080", "lobby base URL (lobby and login kinds)")
	fs.StringVar(&cfg.LobbyAdmin, "lobby-admin", "", "lobby admin URL to scrape /metrics from, e.g. http://127.0.0.1:8081")
	fs.Var(&allow, "allow-host", "allow this non-loopback host as a target (staging; repeatable); the bench warns")
	fs.StringVar(&cfg.Mode, "mode", "", "replace the scenario's modes with this one")
	fs.IntVar(&cfg.Clients, "bots", 0, "bots at the busiest stage (other stages scaled), logins (login) or clients (idle)")
	fs.IntVar(&cfg.Clients, "clients", 0, "same as -bots")
	fs.DurationVar(&cfg.Duration, "duration", 0, "stretch the scenario's stages to last this long")
	fs.Float64Var(&cfg.LoginRate, "login-rate", 0, "logins per second (0: the scenario's)")
	fs.Float64Var(&cfg.KCPFraction, "kcp-fraction", 0, "share of bots on KCP, the rest WebSocket (0: the scenario's; negative: none on KCP)")
	fs.IntVar(&cfg.RoomSize, "room-size", 0, "seats per room the bench creates (direct, idle)")
	fs.IntVar(&cfg.Concurrency, "concurrency", 0, "logins or connects in flight (0: the scenario's)")
	fs.DurationVar(&cfg.Settle, "settle", 0, "idle: time before the second RSS reading (0: the scenario's)")
	fs.DurationVar(&cfg.Timeout, "timeout", 0, "bound on the whole run (0: the scenario's)")
	fs.StringVar(&netSpec, "net", "", "network conditions through the bench's proxy, e.g. latency=150ms,jitter=20ms,loss=0.05,dup=0.01,reorder=0.02")
	fs.Var(&thresholds, "threshold", "extra pass/fail rule, e.g. 'input_ack.p99<100ms' or 'errors<1' (repeatable)")
	fs.BoolVar(&cfg.NoDefaultThresholds, "no-default-thresholds", false, "do not check the design SLOs ("+strings.Join(bench.DefaultThresholds, ", ")+")")
	fs.BoolVar(&cfg.AbortOnFail, "abort-on-fail", false, "stop as soon as a threshold has failed for good")
	fs.StringVar(&out, "out", "", "directory to write report.json and report.html into")
	fs.StringVar(&format, "format", "text", "report on stdout: text or json")
	fs.BoolVar(&quiet, "quiet", false, "no progress lines on stderr")
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write the bench's own CPU profile to this file (is the load generator the bottleneck?)")
	if err := envPrefixDefaults(fs, "PANTHEON_BENCH_"); err != nil {
		benchError(stderr, err)
		return 2
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if list {
		for _, name := range bench.Scenarios() {
			sc, err := bench.LoadScenario(name)
			if err != nil {
				benchError(stderr, err)
				return 1
			}
			fmt.Fprintf(stdout, "%-12s %-6s %s\n", name, sc.Kind, sc.Description)
		}
		return 0
	}
	if err := resolveSecrets(map[string]*string{"fleet-secret": &cfg.FleetSecret}); err != nil {
		benchError(stderr, err)
		return 2
	}
	if format != "text" && format != "json" {
		fmt.Fprintln(stderr, "pantheon bench: -format must be text or json")
		return 2
	}
	if netSpec != "" {
		n, err := bench.ParseNetwork(netSpec)
		if err != nil {
			benchError(stderr, err)
			return 2
		}
		cfg.Net = &n
	}
	cfg.Thresholds, cfg.AllowHosts = thresholds, allow
	for _, h := range allow {
		fmt.Fprintf(stderr, "pantheon bench: WARNING: %s is allowed as a target; the bench will load it for real\n", h)
	}
	if !quiet {
		cfg.Progress = stderr
	}
	if err := cfg.Validate(); err != nil {
		benchError(stderr, err)
		return 2
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			benchError(stderr, err)
			return 2
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			benchError(stderr, err)
			return 2
		}
		defer pprof.StopCPUProfile()
	}
	rep, err := bench.Run(ctx, cfg)
	if err != nil && rep.Run.Time.IsZero() {
		benchError(stderr, err)
		return 1
	}
	if format == "json" {
		err = errors.Join(err, rep.WriteJSON(stdout))
	} else {
		err = errors.Join(err, rep.WriteText(stdout))
	}
	if out != "" {
		if werr := writeBenchOut(out, rep); werr != nil {
			err = errors.Join(err, werr)
		} else {
			fmt.Fprintf(stderr, "pantheon bench: wrote %s and %s\n", filepath.Join(out, "report.json"), filepath.Join(out, "report.html"))
		}
	}
	if err != nil {
		benchError(stderr, err)
		return 1
	}
	if !rep.Passed {
		return bench.ThresholdExitCode
	}
	return 0
}

// writeBenchOut writes the JSON and HTML reports into dir.
func writeBenchOut(dir string, rep bench.Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, write := range map[string]func(io.Writer) error{"report.json": rep.WriteJSON, "report.html": rep.WriteHTML} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		werr := write(f)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return fmt.Errorf("%s: %w", name, werr)
		}
	}
	return nil
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// benchError prints err once prefixed "pantheon bench: ": the bench
// package's errors already start with "bench: ", which is not repeated.
func benchError(stderr io.Writer, err error) {
	fmt.Fprintln(stderr, "pantheon "+ensurePrefix(err.Error(), "bench: "))
}

// ensurePrefix returns s starting with prefix, adding it when missing.
func ensurePrefix(s, prefix string) string {
	if strings.HasPrefix(s, prefix) {
		return s
	}
	return prefix + s
}
