package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// tailLines is how many of a failing test's last output lines a failure
// keeps; panicLines how many lines from the first "panic:" line on (a
// timeout's panic names the tests that were running, then dumps every
// goroutine, so its tail alone says little).
const (
	tailLines  = 40
	panicLines = 20
)

// event is one line of `go test -json` (cmd/test2json) output.
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string // build-output and build-fail events name the package here
}

// failure is one failed test run (or a package that failed outside any test:
// a build error, a panic in TestMain, a timeout).
type failure struct {
	Round   int
	Load    bool   // failed in the load, not in the packages under stress
	Package string // import path
	Test    string // empty for a package-level failure
	Seed    string // the -test.shuffle seed of the package run; empty if unknown
	Output  []string
}

// collector reads one `go test -json` stream and records its failures and
// how many times each test ran.
type collector struct {
	round    int
	load     bool
	seeds    map[string]string   // package -> shuffle seed
	out      map[string][]string // package+"\x00"+test -> last output lines
	panics   map[string][]string // package+"\x00"+test -> lines from the first panic on
	dropped  map[string]bool     // package+"\x00"+test -> out lost lines off its front
	failed   map[string]bool     // package -> some test of it failed this run
	childBad map[string]bool     // package+"\x00"+test -> a subtest failed in its current run
	running  map[string][]string // package -> tests started and not yet finished, in start order
	fails    []failure
	runs     map[string]int // package+"\x00"+test -> finished runs (pass or fail)
	onFail   func(failure)  // called as each failure is recorded; may be nil
}

func newCollector(round int, load bool, onFail func(failure)) *collector {
	return &collector{
		round:    round,
		load:     load,
		seeds:    map[string]string{},
		out:      map[string][]string{},
		panics:   map[string][]string{},
		dropped:  map[string]bool{},
		failed:   map[string]bool{},
		childBad: map[string]bool{},
		running:  map[string][]string{},
		runs:     map[string]int{},
		onFail:   onFail,
	}
}

func key(pkg, test string) string { return pkg + "\x00" + test }

// read consumes a whole stream.
func (c *collector) read(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var ev event
		err := dec.Decode(&ev)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			// Not JSON: the go command wrote something else on stdout.
			return fmt.Errorf("stress: reading go test -json: %w", err)
		}
		c.add(ev)
	}
}

// add records one event.
func (c *collector) add(ev event) {
	pkg := ev.Package
	if pkg == "" {
		// "pkg [pkg.test]": the build of pkg's test binary.
		pkg, _, _ = strings.Cut(ev.ImportPath, " ")
	}
	switch ev.Action {
	case "run":
		delete(c.childBad, key(pkg, ev.Test))
		c.running[pkg] = append(c.running[pkg], ev.Test)
	case "output", "build-output":
		if ev.Test == "" {
			if s, ok := strings.CutPrefix(ev.Output, "-test.shuffle "); ok {
				if _, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64); err == nil {
					c.seeds[pkg] = strings.TrimSpace(s)
				}
			}
		}
		k := key(pkg, ev.Test)
		line := strings.TrimRight(ev.Output, "\n")
		if p, ok := c.panics[k]; ok || strings.HasPrefix(line, "panic: ") {
			if len(p) < panicLines {
				c.panics[k] = append(p, line)
			}
		}
		lines := append(c.out[k], line)
		if len(lines) > tailLines {
			lines = lines[len(lines)-tailLines:]
			c.dropped[k] = true
		}
		c.out[k] = lines
	case "pass", "skip":
		c.finished(pkg, ev.Test)
		if ev.Test != "" {
			c.runs[key(pkg, ev.Test)]++
			c.forget(key(pkg, ev.Test))
		}
	case "fail", "build-fail":
		c.finished(pkg, ev.Test)
		if ev.Test == "" {
			c.unfinished(pkg)
		}
		if ev.Test != "" {
			k := key(pkg, ev.Test)
			c.runs[k]++
			c.failed[pkg] = true
			for t := ev.Test; strings.Contains(t, "/"); {
				t = t[:strings.LastIndex(t, "/")]
				c.childBad[key(pkg, t)] = true
			}
			if c.childBad[k] {
				// A parent that failed because a subtest did: the
				// subtest's failure is the one to read.
				delete(c.childBad, k)
				c.forget(k)
				return
			}
		} else if c.failed[pkg] {
			// The package failed because its tests did; those are recorded.
			c.forget(key(pkg, ""))
			return
		}
		f := failure{
			Round: c.round, Load: c.load, Package: pkg, Test: ev.Test,
			Seed: c.seeds[pkg], Output: c.output(key(pkg, ev.Test)),
		}
		c.forget(key(pkg, ev.Test))
		if ev.Action == "build-fail" {
			c.failed[pkg] = true // its "fail" event that follows says no more
		}
		c.fails = append(c.fails, f)
		if c.onFail != nil {
			c.onFail(f)
		}
	}
}

// finished takes test off pkg's running list (its last start).
func (c *collector) finished(pkg, test string) {
	r := c.running[pkg]
	for i := len(r) - 1; i >= 0; i-- {
		if r[i] == test {
			c.running[pkg] = append(r[:i], r[i+1:]...)
			return
		}
	}
}

// unfinished records a failure for every test of pkg that started and never
// finished when the package failed: the test binary died under them (a
// timeout names them in its panic, which test2json attributes to them).
func (c *collector) unfinished(pkg string) {
	for _, test := range c.running[pkg] {
		k := key(pkg, test)
		c.runs[k]++
		c.failed[pkg] = true
		out := append(c.output(k), "(stress: the test never finished: the package's test binary ended under it)")
		f := failure{Round: c.round, Load: c.load, Package: pkg, Test: test, Seed: c.seeds[pkg], Output: out}
		c.forget(k)
		c.fails = append(c.fails, f)
		if c.onFail != nil {
			c.onFail(f)
		}
	}
	delete(c.running, pkg)
}

// output is what a failure shows of k's output: its last lines, preceded
// by the first lines of a panic when those were cut off the tail.
func (c *collector) output(k string) []string {
	tail := c.out[k]
	p := c.panics[k]
	if len(p) == 0 || !c.dropped[k] {
		return tail
	}
	out := append([]string(nil), p...)
	out = append(out, "...")
	return append(out, tail...)
}

// forget drops what was kept of k's output.
func (c *collector) forget(k string) {
	delete(c.out, k)
	delete(c.panics, k)
	delete(c.dropped, k)
}

// tally is the per-test summary over every round.
type tally struct {
	Package, Test string
	Fails, Runs   int
	Seeds         []string
}

// summarize counts failures per test against how many times the test ran.
func summarize(fs []failure, runs map[string]int) []tally {
	byKey := map[string]*tally{}
	for _, f := range fs {
		k := key(f.Package, f.Test)
		t := byKey[k]
		if t == nil {
			t = &tally{Package: f.Package, Test: f.Test, Runs: runs[k]}
			byKey[k] = t
		}
		t.Fails++
		if f.Seed != "" && !contains(t.Seeds, f.Seed) {
			t.Seeds = append(t.Seeds, f.Seed)
		}
	}
	out := make([]tally, 0, len(byKey))
	for _, t := range byKey {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Package != out[j].Package {
			return out[i].Package < out[j].Package
		}
		return out[i].Test < out[j].Test
	})
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
