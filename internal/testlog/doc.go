// Package testlog is the module's in-memory log destination for tests: a
// buffer safe for the concurrent writes of a logger and the goroutines it
// logs for, read whole, by its last lines or by counting a substring.
package testlog
