// Package contentcheck validates game content files and lists what they
// define: the engine behind `pantheon content check [DIR]` and
// `pantheon content list`.
//
// Validation itself is content.Parse (the simulation refuses broken
// content the same way at start-up); this package turns its problems into
// a report naming the file and field of each, and prints catalogs.
//
// Usage:
//
//	r := contentcheck.Check(os.DirFS("my-content"), "my-content")
//	r.Write(os.Stdout)
//	if !r.OK() { os.Exit(1) }
package contentcheck
