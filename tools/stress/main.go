package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command's flags.
type options struct {
	rounds  int
	count   int
	run     string
	load    bool
	timeout time.Duration
	goCmd   string
	pkgs    []string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("stress", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.IntVar(&o.rounds, "rounds", 10, "how many rounds (one `go test` invocation each)")
	fs.IntVar(&o.count, "count", 3, "go test -count in each round")
	fs.StringVar(&o.run, "run", "", "go test -run pattern (empty: every test)")
	fs.BoolVar(&o.load, "load", false, "run other packages' tests alongside, in a loop, to load the machine")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Minute, "go test -timeout for each round")
	fs.StringVar(&o.goCmd, "go", "go", "the go command")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: stress [-rounds N] [-count N] [-run REGEXP] [-load] [packages]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.rounds < 1 || o.count < 1 {
		return o, fmt.Errorf("stress: -rounds and -count must be at least 1")
	}
	o.pkgs = fs.Args()
	if len(o.pkgs) == 0 {
		o.pkgs = []string{"./..."}
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if err != flag.ErrHelp {
			fmt.Fprintln(stderr, err)
		}
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	targets, err := list(ctx, o.goCmd, o.pkgs)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	var mu sync.Mutex // serialises writes to stdout and the shared tallies
	var fails []failure
	runs := map[string]int{}
	print := func(f failure) {
		mu.Lock()
		defer mu.Unlock()
		writeFailure(stdout, f, o)
	}

	var loadDone chan loadStats
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	if o.load {
		all, err := list(ctx, o.goCmd, []string{"./..."})
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		pkgs := without(all, targets)
		if len(pkgs) == 0 {
			pkgs = targets
		}
		fmt.Fprintf(stdout, "stress: load: %d packages' tests in a loop\n", len(pkgs)) // before the load starts: no lock needed
		loadDone = make(chan loadStats, 1)
		go func() { loadDone <- runLoad(loadCtx, o, pkgs, print) }()
	}

	start := time.Now()
	done := 0 // rounds run to the end
	for r := 1; r <= o.rounds && ctx.Err() == nil; r++ {
		t0 := time.Now()
		c := newCollector(r, false, print)
		err := testRound(ctx, o, targets, c)
		mu.Lock()
		fails = append(fails, c.fails...)
		for k, n := range c.runs {
			runs[k] += n
		}
		mu.Unlock()
		if err != nil && len(c.fails) == 0 && ctx.Err() == nil {
			f := failure{Round: r, Package: "(go test)", Output: []string{err.Error()}}
			mu.Lock()
			fails = append(fails, f)
			mu.Unlock()
			print(f)
		}
		if ctx.Err() != nil {
			break
		}
		done++
		mu.Lock()
		fmt.Fprintf(stdout, "stress: round %d/%d: %d failures (%s)\n", r, o.rounds, len(c.fails), time.Since(t0).Round(time.Second))
		mu.Unlock()
	}
	stopLoad()
	var ls loadStats
	if loadDone != nil {
		ls = <-loadDone
	}

	mu.Lock()
	defer mu.Unlock()
	fmt.Fprintf(stdout, "\nstress: %d of %d rounds x -count %d over %d packages in %s",
		done, o.rounds, o.count, len(targets), time.Since(start).Round(time.Second))
	if o.load {
		fmt.Fprintf(stdout, ", under load (%d load runs finished, %d load failures)", ls.runs, len(ls.fails))
	}
	fmt.Fprintln(stdout)
	tallies := summarize(fails, runs)
	if ctx.Err() != nil {
		fmt.Fprintln(stdout, "stress: interrupted")
	}
	if len(tallies) == 0 {
		fmt.Fprintln(stdout, "stress: PASS: no test failed")
		if ctx.Err() != nil {
			return 1
		}
		return 0
	}
	fmt.Fprintln(stdout, "stress: FAIL:")
	for _, t := range tallies {
		name := t.Test
		if name == "" {
			name = "(package)"
		}
		fmt.Fprintf(stdout, "  %-50s %-40s failed %d of %d runs, seeds %s\n",
			t.Package, name, t.Fails, t.Runs, strings.Join(t.Seeds, " "))
	}
	return 1
}

// list resolves package patterns to import paths with `go list`.
func list(ctx context.Context, goCmd string, patterns []string) ([]string, error) {
	cmd := exec.CommandContext(ctx, goCmd, append([]string{"list"}, patterns...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("stress: go list %s: %v\n%s", strings.Join(patterns, " "), err, stderr.String())
	}
	return strings.Fields(string(out)), nil
}

func without(all, drop []string) []string {
	skip := map[string]bool{}
	for _, p := range drop {
		skip[p] = true
	}
	var out []string
	for _, p := range all {
		if !skip[p] {
			out = append(out, p)
		}
	}
	return out
}

// testArgs are the go test arguments of one round.
func testArgs(o options, count int, run string, pkgs []string) []string {
	args := []string{"test", "-json", "-race", "-shuffle=on",
		fmt.Sprintf("-count=%d", count), "-timeout", o.timeout.String()}
	if run != "" {
		args = append(args, "-run", run)
	}
	return append(args, pkgs...)
}

// testRound runs one `go test -json` and feeds its output to c. Its error
// is the go command's (a non-zero exit when a test failed, too).
func testRound(ctx context.Context, o options, pkgs []string, c *collector) error {
	cmd := exec.CommandContext(ctx, o.goCmd, testArgs(o, o.count, o.run, pkgs)...)
	ownGroup(cmd)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	pr, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	readErr := c.read(pr)
	_, _ = io.Copy(io.Discard, pr)
	err = cmd.Wait()
	if readErr != nil {
		return readErr
	}
	if err != nil && stderr.Len() > 0 {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return err
}

// loadStats is what the load loop did.
type loadStats struct {
	runs  int
	fails []failure
}

// runLoad runs pkgs' tests (-count=1, every test) in a loop until ctx ends.
// A run cut short by ctx is discarded: its test binaries were killed.
func runLoad(ctx context.Context, o options, pkgs []string, print func(failure)) loadStats {
	var ls loadStats
	for i := 1; ctx.Err() == nil; i++ {
		var pending []failure
		c := newCollector(i, true, func(f failure) { pending = append(pending, f) })
		cmd := exec.CommandContext(ctx, o.goCmd, testArgs(o, 1, "", pkgs)...)
		ownGroup(cmd)
		pr, err := cmd.StdoutPipe()
		if err != nil {
			return ls
		}
		if err := cmd.Start(); err != nil {
			return ls
		}
		_ = c.read(pr)
		_, _ = io.Copy(io.Discard, pr)
		_ = cmd.Wait()
		if ctx.Err() != nil {
			return ls
		}
		ls.runs++
		ls.fails = append(ls.fails, pending...)
		for _, f := range pending {
			print(f)
		}
	}
	return ls
}

// writeFailure prints one failure: where, the seed, how to rerun it, and
// the test's last output lines.
func writeFailure(w io.Writer, f failure, o options) {
	where := "round"
	if f.Load {
		where = "load run"
	}
	name := f.Test
	if name == "" {
		name = "(package: build error, panic outside a test, or timeout)"
	}
	seed := f.Seed
	if seed == "" {
		seed = "unknown"
	}
	fmt.Fprintf(w, "--- FAIL %s %d: %s %s (shuffle seed %s)\n", where, f.Round, f.Package, name, seed)
	if f.Seed != "" && !strings.HasPrefix(f.Package, "(") {
		count, run := o.count, o.run
		if f.Load {
			count, run = 1, ""
		}
		rerun := fmt.Sprintf("go test -race -shuffle=%s -count=%d", f.Seed, count)
		if run != "" {
			rerun += " -run '" + run + "'"
		}
		fmt.Fprintf(w, "    rerun: %s %s\n", rerun, f.Package)
	}
	for _, l := range f.Output {
		fmt.Fprintf(w, "    | %s\n", l)
	}
}
