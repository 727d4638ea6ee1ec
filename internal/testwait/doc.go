// Package testwait is the one poll helper of the module's tests: wait for a
// condition with a deadline generous enough for a loaded machine, and say
// what was awaited (and, optionally, the state it ended in) when it never
// comes. Tests assert that something happens, never how fast.
package testwait
