package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/pantheon-oracles/pantheon/internal/fdlimit"
)

// command is one subcommand of the binary.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands lists every subcommand in the order `pantheon help` prints them.
func commands() []command {
	return []command{
		{"dev", "run the whole system on one machine with embedded defaults", runDev},
		{"room", "run a room server hosting many rooms", runRoom},
		{"lobby", "run the lobby HTTP API", runLobby},
		{"bench", "run a headless bot swarm against a server and report", runBench},
		{"replay", "verify a recorded match: pantheon replay verify FILE", runReplay},
		{"content", "check the embedded game content: pantheon content check", runContent},
		{"flags", "set, read and delete feature flags on a lobby: pantheon flags set|get|list|delete|audit", runFlags},
		{"migrate", "apply or show database migrations: pantheon migrate up|status", runMigrate},
		{"version", "print the version, commit and Go version of this build", runVersion},
	}
}

func main() {
	// Servers need a descriptor per connection: use the whole hard limit
	// (README, "Descriptor budget"). A refusal keeps the old limit.
	if _, err := fdlimit.Raise(); err != nil {
		fmt.Fprintln(os.Stderr, "pantheon: raising the open-file limit:", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// dispatch runs the subcommand named by args[0] and returns the exit code.
func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "pantheon: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: pantheon <command> [flags]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run `pantheon <command> -h` for a command's flags.")
}
