// Package depcheck checks what the module's packages link: `make verify`
// runs it (cmd/depcheck) so that an import which drags a database driver
// into the room server, the lobby or the bench, anything but donburi into
// the simulation, or anything but the standard library into the content
// package below it (ecs/content), fails the build instead of waiting for a
// review.
//
// The rules are data (Rules); Check applies them to the dependency graph
// that `go list -deps` prints, and names for each violation the chain of
// imports that brought the denied package in.
package depcheck
