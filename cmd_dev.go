package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/bot"
)

// runDev runs the whole system on one machine. Until the room server is
// built it plays one headless demo match of each mode with scripted bots and
// prints each result.
func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 1, "seed of the demo matches")
	mode := fs.String("mode", "", "play only this mode (default: one match of every mode)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c, err := ecs.LoadContent()
	if err != nil {
		fmt.Fprintf(stderr, "pantheon dev: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "pantheon dev: no room server yet; one headless demo match per mode, bots on every seat (content %s, seed %d)\n", c.Version(), *seed)
	played := 0
	for _, m := range c.Modes() {
		if *mode != "" && m.ID != *mode {
			continue
		}
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "pantheon dev: interrupted")
			return 130
		}
		start := time.Now()
		r, err := bot.Demo(c, m.ID, *seed)
		if err != nil {
			fmt.Fprintf(stderr, "pantheon dev: %s: %v\n", m.ID, err)
			return 1
		}
		fmt.Fprintln(stdout)
		for _, line := range bot.Summary(c, r) {
			fmt.Fprintln(stdout, line)
		}
		fmt.Fprintf(stdout, "  simulated in %v\n", time.Since(start).Round(time.Millisecond))
		played++
	}
	if played == 0 {
		fmt.Fprintf(stderr, "pantheon dev: unknown mode %q\n", *mode)
		return 2
	}
	return 0
}
