// Command stress runs packages' tests over and over, the way CI runs them
// (`go test -race -shuffle=on`), to find the tests that fail only
// sometimes, and prints each failure with the package, the shuffle seed and
// the round it failed in, so it can be replayed.
//
// Each round is one `go test -json -race -shuffle=on -count=COUNT` over the
// packages. With -load, other packages' tests (every package of the module
// not under stress, or the same packages when that leaves none) run in a loop
// alongside, so the tests under stress see a busy machine; the load's own
// failures are printed too, marked "load", but only the stressed packages'
// failures decide the exit status. Each failure prints the test's last output
// lines and a command that reruns its package in the same order.
//
// Usage (this is what `make stress` runs):
//
//	go run ./tools/stress -rounds 10 -count 3 -load ./...
//	go run ./tools/stress -rounds 3 -count 5 -run 'TestMemLink' ./netcode/transport
//
// The exit status is 0 when no stressed test failed in any round, 1 when one
// did, 2 on a usage error.
package main
