package main

import (
	"context"
	"fmt"
	"io"
)

// runReplay is not built yet; the issue that builds it replaces this file.
func runReplay(_ context.Context, _ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "pantheon replay: not built yet")
	return 2
}
