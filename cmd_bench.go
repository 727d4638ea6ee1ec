package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/pantheon-oracles/pantheon/bench"
)

// runBench runs a bench scenario against a running room server and prints
// its report. Flags can also come from PANTHEON_BENCH_<FLAG>; the command
// line wins.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pantheon bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg bench.Config
	var format string
	fs.StringVar(&cfg.Scenario, "scenario", bench.ScenarioIdle, "idle: RSS growth per idle connection on a room server; match: bots through lobby, queue, room and play; login: guest login latency at a rate")
	fs.StringVar(&cfg.Target, "target", "http://127.0.0.1:7002", "idle: room server admin/control URL (loopback only)")
	fs.StringVar(&cfg.FleetSecret, "fleet-secret", "", "idle: the room server's fleet secret, or @FILE (required; env PANTHEON_BENCH_FLEET_SECRET)")
	fs.StringVar(&cfg.Lobby, "lobby", "http://127.0.0.1:8080", "match, login: lobby base URL (loopback only)")
	fs.StringVar(&cfg.Mode, "mode", "battle_1v1", "match: the queue the bots join")
	fs.Float64Var(&cfg.LoginRate, "login-rate", 0, "match, login: logins per second (0: as fast as -concurrency allows)")
	fs.IntVar(&cfg.Clients, "clients", 0, "clients (idle, default 1000), bots (match, default 2) or logins (login, default 1000)")
	fs.Float64Var(&cfg.KCPFraction, "kcp-fraction", 0.5, "share of clients on KCP; the rest use WebSocket")
	fs.IntVar(&cfg.RoomSize, "room-size", 40, "idle: seats per raid room; one stays empty so the room keeps waiting")
	fs.IntVar(&cfg.Concurrency, "concurrency", 32, "connects (idle) or logins (login) in flight")
	fs.DurationVar(&cfg.Settle, "settle", 0, "idle time before the second RSS reading (default 3s)")
	fs.DurationVar(&cfg.Timeout, "timeout", 0, "bound on the whole run (default 2m; 12m for match)")
	fs.StringVar(&format, "format", "text", "report format: text or json")
	if err := envPrefixDefaults(fs, "PANTHEON_BENCH_"); err != nil {
		fmt.Fprintln(stderr, "pantheon bench:", err)
		return 2
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := resolveSecrets(map[string]*string{"fleet-secret": &cfg.FleetSecret}); err != nil {
		fmt.Fprintln(stderr, "pantheon bench:", err)
		return 2
	}
	if format != "text" && format != "json" {
		fmt.Fprintln(stderr, "pantheon bench: -format must be text or json")
		return 2
	}
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "pantheon bench:", err)
		return 1
	}
	if format == "json" {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "pantheon bench:", err)
		return 1
	}
	if rep.Failed > 0 {
		return 1
	}
	return 0
}
