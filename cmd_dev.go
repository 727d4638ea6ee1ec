package main

import (
	"context"
	"fmt"
	"io"
)

// runDev is not built yet; the issue that builds it replaces this file.
func runDev(_ context.Context, _ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "pantheon dev: not built yet")
	return 2
}
