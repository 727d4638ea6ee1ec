package main

import (
	"strings"
	"testing"
)

// stream is cmd/test2json output as `go test -json -shuffle=on -count=2`
// writes it: package a has a subtest that fails in both iterations and a
// parent that fails on its own in the second; package b fails to build.
const stream = `{"Action":"start","Package":"a"}
{"Action":"output","Package":"a","Output":"-test.shuffle 1796198551487619583\n"}
{"Action":"run","Package":"a","Test":"TestA"}
{"Action":"run","Package":"a","Test":"TestA/sub"}
{"Action":"output","Package":"a","Test":"TestA/sub","Output":"    a_test.go:3: got 4, want 5\n"}
{"Action":"fail","Package":"a","Test":"TestA/sub"}
{"Action":"output","Package":"a","Test":"TestA","Output":"--- FAIL: TestA (0.00s)\n"}
{"Action":"fail","Package":"a","Test":"TestA"}
{"Action":"run","Package":"a","Test":"TestB"}
{"Action":"output","Package":"a","Test":"TestB","Output":"--- PASS: TestB (0.00s)\n"}
{"Action":"pass","Package":"a","Test":"TestB"}
{"Action":"run","Package":"a","Test":"TestA"}
{"Action":"run","Package":"a","Test":"TestA/sub"}
{"Action":"fail","Package":"a","Test":"TestA/sub"}
{"Action":"fail","Package":"a","Test":"TestA"}
{"Action":"run","Package":"a","Test":"TestA"}
{"Action":"run","Package":"a","Test":"TestA/sub"}
{"Action":"pass","Package":"a","Test":"TestA/sub"}
{"Action":"output","Package":"a","Test":"TestA","Output":"    a_test.go:9: parent check\n"}
{"Action":"fail","Package":"a","Test":"TestA"}
{"Action":"output","Package":"a","Output":"FAIL\n"}
{"Action":"fail","Package":"a"}
{"ImportPath":"b [b.test]","Action":"build-output","Output":"b/b_test.go:1:1: syntax error\n"}
{"ImportPath":"b [b.test]","Action":"build-fail"}
{"Action":"start","Package":"b"}
{"Action":"output","Package":"b","Output":"FAIL\tb [build failed]\n"}
{"Action":"fail","Package":"b"}
`

func TestCollectorFailures(t *testing.T) {
	var printed []failure
	c := newCollector(3, false, func(f failure) { printed = append(printed, f) })
	if err := c.read(strings.NewReader(stream)); err != nil {
		t.Fatal(err)
	}
	type got struct{ pkg, test, seed string }
	var gs []got
	for _, f := range c.fails {
		if f.Round != 3 {
			t.Errorf("%s %s: round %d, want 3", f.Package, f.Test, f.Round)
		}
		gs = append(gs, got{f.Package, f.Test, f.Seed})
	}
	want := []got{
		{"a", "TestA/sub", "1796198551487619583"},
		{"a", "TestA/sub", "1796198551487619583"},
		{"a", "TestA", "1796198551487619583"}, // failed with no failed subtest
		{"b", "", ""},                         // build failure, once
	}
	if len(gs) != len(want) {
		t.Fatalf("failures = %v, want %v", gs, want)
	}
	for i := range want {
		if gs[i] != want[i] {
			t.Errorf("failure %d = %v, want %v", i, gs[i], want[i])
		}
	}
	if len(printed) != len(c.fails) {
		t.Errorf("printed %d failures as they came, recorded %d", len(printed), len(c.fails))
	}
	if out := strings.Join(c.fails[3].Output, "\n"); !strings.Contains(out, "syntax error") {
		t.Errorf("build failure's output %q lacks the compiler's message", out)
	}
	if out := strings.Join(c.fails[0].Output, "\n"); !strings.Contains(out, "got 4, want 5") {
		t.Errorf("first failure's output %q lacks the test's message", out)
	}
	if out := strings.Join(c.fails[2].Output, "\n"); !strings.Contains(out, "parent check") || strings.Contains(out, "--- FAIL") {
		t.Errorf("parent failure's output %q: want only its own run's lines", out)
	}
	if n := c.runs[key("a", "TestA/sub")]; n != 3 {
		t.Errorf("TestA/sub ran %d times, want 3", n)
	}

	tl := summarize(c.fails, c.runs)
	if len(tl) != 3 || tl[0].Test != "TestA" || tl[0].Fails != 1 || tl[0].Runs != 3 ||
		tl[1].Test != "TestA/sub" || tl[1].Fails != 2 || tl[1].Runs != 3 || len(tl[1].Seeds) != 1 ||
		tl[2].Package != "b" || tl[2].Test != "" || tl[2].Fails != 1 {
		t.Errorf("summary = %+v", tl)
	}
}

func TestCollectorKeepsOutputBounded(t *testing.T) {
	c := newCollector(1, false, nil)
	for i := 0; i < 10*tailLines; i++ {
		c.add(event{Action: "output", Package: "a", Test: "T", Output: "line\n"})
	}
	c.add(event{Action: "fail", Package: "a", Test: "T"})
	if n := len(c.fails[0].Output); n != tailLines {
		t.Errorf("kept %d output lines, want %d", n, tailLines)
	}
}

func TestCollectorKeepsPanicHead(t *testing.T) {
	c := newCollector(1, false, nil)
	c.add(event{Action: "output", Package: "a", Output: "panic: test timed out after 30m0s\n"})
	c.add(event{Action: "output", Package: "a", Output: "\trunning tests:\n"})
	c.add(event{Action: "output", Package: "a", Output: "\t\tTestStuck (30m0s)\n"})
	for i := 0; i < 10*tailLines; i++ {
		c.add(event{Action: "output", Package: "a", Output: "goroutine dump\n"})
	}
	c.add(event{Action: "fail", Package: "a"})
	out := strings.Join(c.fails[0].Output, "\n")
	if !strings.Contains(out, "TestStuck (30m0s)") || !strings.Contains(out, "panic: test timed out") {
		t.Errorf("timeout failure's output lacks the panic's head:\n%s", out)
	}
	if n := len(c.fails[0].Output); n != panicLines+1+tailLines {
		t.Errorf("kept %d lines, want %d of the panic, a cut mark and %d of the tail", n, panicLines, tailLines)
	}
}

func TestCollectorReportsTestsCutShort(t *testing.T) {
	c := newCollector(1, false, nil)
	for _, ev := range []event{
		{Action: "output", Package: "a", Output: "-test.shuffle 5\n"},
		{Action: "run", Package: "a", Test: "TestDone"},
		{Action: "pass", Package: "a", Test: "TestDone"},
		{Action: "run", Package: "a", Test: "TestStuck"},
		{Action: "output", Package: "a", Test: "TestStuck", Output: "panic: test timed out after 30m0s\n"},
		{Action: "output", Package: "a", Output: "FAIL\ta\t1800.1s\n"},
		{Action: "fail", Package: "a"},
	} {
		c.add(ev)
	}
	if len(c.fails) != 1 || c.fails[0].Test != "TestStuck" || c.fails[0].Seed != "5" {
		t.Fatalf("failures %+v, want TestStuck alone (seed 5)", c.fails)
	}
	if out := strings.Join(c.fails[0].Output, "\n"); !strings.Contains(out, "timed out") || !strings.Contains(out, "never finished") {
		t.Errorf("output %q lacks the panic or the note", out)
	}
}
