// Package proccpu reads the CPU time this process has used (user plus
// system), for the bench's CPU figures and the benchmarks' cpu-ms metrics.
// It is getrusage(RUSAGE_SELF) on Unix and GetProcessTimes on Windows.
//
//	before := proccpu.Time()
//	work()
//	used := proccpu.Time() - before
package proccpu
