package allocprof

import (
	"runtime"
	"strings"
	"testing"
)

// Stack is one allocation site's call stack, innermost frame first.
type Stack []string

// Has reports whether a frame's function name ends with suffix, e.g.
// "ecs.(*Sim).Step".
func (s Stack) Has(suffix string) bool {
	for _, f := range s {
		if strings.HasSuffix(f, suffix) {
			return true
		}
	}
	return false
}

// Contains reports whether a frame's function name contains sub.
func (s Stack) Contains(sub string) bool {
	for _, f := range s {
		if strings.Contains(f, sub) {
			return true
		}
	}
	return false
}

// Sites calls fn with the objects allocated so far at every site of the
// allocation profile and that site's stack. runtime.MemProfileRate must be
// 1 while the measured code runs, or the profile samples. It runs two
// garbage collections first: the profile is published up to two cycles late.
func Sites(t testing.TB, fn func(objects int64, stack Stack)) {
	t.Helper()
	runtime.GC()
	runtime.GC()
	n, _ := runtime.MemProfile(nil, true)
	recs := make([]runtime.MemProfileRecord, n+64)
	n, ok := runtime.MemProfile(recs, true)
	if !ok {
		t.Fatal("allocprof: the memory profile grew while it was read")
	}
	var stack Stack
	for _, r := range recs[:n] {
		stack = stack[:0]
		frames := runtime.CallersFrames(r.Stack())
		for {
			f, more := frames.Next()
			stack = append(stack, f.Function)
			if !more {
				break
			}
		}
		fn(r.AllocObjects, stack)
	}
}
