package main

import (
	"context"
	"fmt"
	"io"
)

// runContent is not built yet; the issue that builds it replaces this file.
func runContent(_ context.Context, _ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "pantheon content: not built yet")
	return 2
}
