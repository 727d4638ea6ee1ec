// Package allocprof reads the runtime's allocation profile for tests that
// prove a hot path allocates nothing: it reports every allocation site with
// the functions on its stack, and the test decides which sites count.
//
//	runtime.MemProfileRate = 1 // record every allocation (restore it after)
//	... warm up, then run the code ...
//	var n int64
//	allocprof.Sites(t, func(objects int64, s allocprof.Stack) {
//		if s.Has("ecs.(*Sim).Step") {
//			n += objects
//		}
//	})
//
// Attributing by stack keeps the runtime's own background allocations, and
// the test's, out of the count.
package allocprof
