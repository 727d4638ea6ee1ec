package devbots

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pantheon-oracles/pantheon/ecs/bot"
	"github.com/pantheon-oracles/pantheon/ecs/content"
)

// ErrUnknownMode is Demo's answer when mode names none of the content's
// modes.
var ErrUnknownMode = errors.New("unknown mode")

// Demo plays one headless match of each mode of c (or only mode, when not
// "") with scripted bots on every seat, on the bare simulation, and writes
// each result to out. It stops between matches when ctx ends, returning
// ctx's error.
func Demo(ctx context.Context, c *content.Bundle, seed uint64, mode string, out io.Writer) error {
	fmt.Fprintf(out, "pantheon dev -demo: one headless match per mode, bots on every seat (content %s, seed %d)\n", c.Version(), seed)
	played := 0
	for _, m := range c.Modes() {
		if mode != "" && m.ID != mode {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		start := time.Now()
		r, err := bot.Demo(c, m.ID, seed)
		if err != nil {
			return fmt.Errorf("%s: %w", m.ID, err)
		}
		fmt.Fprintln(out)
		for _, line := range bot.Summary(c, r) {
			fmt.Fprintln(out, line)
		}
		fmt.Fprintf(out, "  simulated in %v\n", time.Since(start).Round(time.Millisecond))
		played++
	}
	if played == 0 {
		return fmt.Errorf("%w %q", ErrUnknownMode, mode)
	}
	return nil
}
