// Command purity runs the purity analyzer (tools/purity) over packages:
//
//	go run ./tools/purity/cmd/purity ./ecs/...
//
// It exits non-zero and lists every violation when there are any.
package main
