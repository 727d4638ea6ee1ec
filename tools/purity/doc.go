// Package purity is a go/analysis analyzer that keeps the simulation pure:
// it fails when a package under ecs/ imports something impure (time, net,
// os, sync, log, math/rand, crypto/rand, runtime, unsafe, donburi's ecs
// subpackage, or anything off its allowlist), ranges over a map, holds or
// computes a float, starts a goroutine, uses a channel, or prints. It also
// flags the two donburi v1.15.7 patterns that race between rooms: a
// package-level donburi.Query, and ComponentType.Each/Iter/First (which run
// the component type's one process-wide query).
//
// Test files are not checked (tests may time, print and use goroutines).
// The one package allowed to import sync is ecs/internal/worldgate, which
// guards donburi's unsynchronised world counter; the -allow-sync flag names
// it by path suffix.
//
// Usage (this is what `make verify` runs):
//
//	go run ./tools/purity/cmd/purity ./ecs/...
//
// or as a library, with the go/analysis drivers:
//
//	singlechecker.Main(purity.New())
package purity
