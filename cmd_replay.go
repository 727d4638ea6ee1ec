package main

import (
	"context"
	"fmt"
	"io"

	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/tools/replayverify"
)

// runReplay verifies recorded matches:
//
//	pantheon replay verify FILE...
//
// Each replay is re-simulated with the embedded content; every tick's state
// hash must match the recorded one. Exit 0 when all match, 1 when any
// diverges (the report names the first divergent tick and why) or cannot be
// verified, 2 on a usage error.
func runReplay(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 || args[0] != "verify" {
		fmt.Fprintln(stderr, "usage: pantheon replay verify FILE...")
		return 2
	}
	c, err := content.Load()
	if err != nil {
		fmt.Fprintf(stderr, "pantheon replay: %v\n", err)
		return 1
	}
	code := 0
	for _, path := range args[1:] {
		r := replayverify.VerifyFile(c, path)
		if r.OK() {
			r.Write(stdout)
			continue
		}
		r.Write(stderr)
		code = 1
	}
	return code
}
