package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/pantheon-oracles/pantheon/persistence/sqlstore"
)

// runMigrate applies or lists the database migrations embedded in the
// binary: `pantheon migrate up|status [--db URL]`. The URL defaults to
// $PANTHEON_DB, else the embedded development database.
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	defaultDB := os.Getenv("PANTHEON_DB")
	if defaultDB == "" {
		defaultDB = sqlstore.DefaultDevURL
	}
	db := fs.String("db", defaultDB, "database URL: postgres://... or sqlite:PATH (env PANTHEON_DB)")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pantheon migrate up|status [--db URL]")
		fmt.Fprintln(stderr, "  up      apply every pending migration (safe to run concurrently and to re-run)")
		fmt.Fprintln(stderr, "  status  list the migrations and whether each is applied")
		fs.PrintDefaults()
	}
	// Accept the verb before or after the flags.
	var verb string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		verb, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if verb == "" && fs.NArg() > 0 {
		verb = fs.Arg(0)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	switch verb {
	case "up":
		applied, err := sqlstore.Migrate(ctx, *db)
		if err != nil {
			fmt.Fprintf(stderr, "pantheon migrate up: %v\n", err)
			return 1
		}
		if len(applied) == 0 {
			fmt.Fprintln(stdout, "schema is up to date")
			return 0
		}
		for _, v := range applied {
			fmt.Fprintf(stdout, "applied %04d\n", v)
		}
		return 0
	case "status":
		ms, err := sqlstore.MigrationStatus(ctx, *db)
		if err != nil {
			fmt.Fprintf(stderr, "pantheon migrate status: %v\n", err)
			return 1
		}
		pending := 0
		for _, m := range ms {
			state := "pending"
			if m.Applied {
				state = "applied " + m.AppliedAt.Format(time.RFC3339)
			} else {
				pending++
			}
			fmt.Fprintf(stdout, "%04d  %-20s %s\n", m.Version, m.Name, state)
		}
		fmt.Fprintf(stdout, "%d pending\n", pending)
		return 0
	}
	fs.Usage()
	return 2
}
