package main

import (
	"context"
	"fmt"
	"io"
)

// runMigrate is not built yet; the issue that builds it replaces this file.
func runMigrate(_ context.Context, _ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "pantheon migrate: not built yet")
	return 2
}
