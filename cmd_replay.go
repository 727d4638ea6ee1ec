package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/pantheon-oracles/pantheon/persistence/sqlstore"
	"github.com/pantheon-oracles/pantheon/tools/replayverify"
)

const replayUsage = `usage:
  pantheon replay verify [--] FILE...          re-simulate recorded matches, compare every tick's hash
  pantheon replay export [--db URL] [-o FILE] MATCH_ID
                                               write a stored match's replay to FILE (default MATCH_ID.replay; - for stdout)`

// runReplay verifies and exports recorded matches:
//
//	pantheon replay verify FILE...
//	pantheon replay export MATCH_ID --db URL -o FILE
//
// verify re-simulates each replay with the embedded content; every tick's
// state hash must match the recorded one. Exit 0 when all match, 1 when any
// diverges (the report names the first divergent tick and why) or cannot be
// verified, 2 on a usage error. export reads a stored match's replay from
// the database (exit 1 when the match or its replay is missing).
func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, replayUsage)
		return 2
	}
	switch args[0] {
	case "verify":
		return runReplayVerify(args[1:], stdout, stderr)
	case "export":
		return runReplayExport(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, replayUsage)
		return 0
	}
	fmt.Fprintf(stderr, "pantheon replay: unknown subcommand %q\n%s\n", args[0], replayUsage)
	return 2
}

// replayFlags returns a flag set for `replay sub` printing replayUsage
// (and its flags) for -h.
func replayFlags(sub string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("replay "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, replayUsage)
		fs.PrintDefaults()
	}
	return fs
}

func runReplayVerify(args []string, stdout, stderr io.Writer) int {
	fs := replayFlags("verify", stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	c, err := content.Load()
	if err != nil {
		fmt.Fprintf(stderr, "pantheon replay: %v\n", err)
		return 1
	}
	code := 0
	for _, path := range fs.Args() {
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

func runReplayExport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := replayFlags("export", stderr)
	defaultDB := os.Getenv("PANTHEON_DB")
	if defaultDB == "" {
		defaultDB = sqlstore.DefaultDevURL
	}
	db := fs.String("db", defaultDB, "database URL: postgres://... or sqlite:PATH (env PANTHEON_DB)")
	out := fs.String("o", "", "output file (default MATCH_ID.replay; - for stdout)")
	timeout := fs.Duration("timeout", time.Minute, "give up after this long")
	// Accept the match id before or after the flags.
	var id string
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		id, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	rest := fs.Args()
	if id == "" && len(rest) > 0 {
		id, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		fmt.Fprintf(stderr, "pantheon replay export: unexpected argument %q\n", rest[0])
		return 2
	}
	if id == "" {
		fmt.Fprintln(stderr, replayUsage)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := exportReplay(ctx, *db, id, *out, stdout); err != nil {
		fmt.Fprintf(stderr, "pantheon replay export: %v\n", err)
		return 1
	}
	return 0
}

// exportReplay writes match id's stored replay to out ("" for
// id.replay, "-" for stdout).
func exportReplay(ctx context.Context, dbURL, id, out string, stdout io.Writer) error {
	st, err := sqlstore.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer st.Close()
	rec, err := st.Match(ctx, id)
	if errors.Is(err, persistence.ErrNotFound) {
		return fmt.Errorf("match %s: not stored in this database", id)
	}
	if err != nil {
		return err
	}
	if len(rec.Replay) == 0 {
		return fmt.Errorf("match %s: stored without a replay", id)
	}
	switch out {
	case "-":
		_, err = stdout.Write(rec.Replay)
		return err
	case "":
		out = id + ".replay"
	}
	if err := os.WriteFile(out, rec.Replay, 0o644); err != nil {
		return err
	}
	return nil
}
