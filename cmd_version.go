package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/pantheon-oracles/pantheon/internal/buildinfo"
)

// runVersion: pantheon version [--json] prints the build's version, commit
// and Go version (internal/buildinfo; `make build` stamps them).
func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print {\"version\", \"commit\", \"go_version\"} as JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pantheon version: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	info := buildinfo.Get()
	if *asJSON {
		_ = json.NewEncoder(stdout).Encode(info)
		return 0
	}
	fmt.Fprintf(stdout, "pantheon %s (commit %s, %s)\n", info.Version, info.Commit, info.GoVersion)
	return 0
}
