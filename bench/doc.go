// Package bench drives a running Pantheon system from the outside, the way
// players would, and reports what it measured: `pantheon bench` is its
// command. Everything it does is bounded in count and time and aimed only
// at loopback addresses (or hosts the caller names).
//
// A run is a Scenario, a data file (bundled ones in scenarios/*.json, or
// any path): a kind (lobby: the player's whole path through the lobby;
// direct: rooms created on a room server's control API; login; idle),
// k6-like stages of bot counts, modes and their shares, a transport mix,
// bot behaviour, network conditions (applied by a loopback UDP/TCP proxy)
// and thresholds. Shipped: smoke (make loadtest), arena (the comparison
// scenario), duel-ladder, raid40, ritual6, soak, capacity (the load
// generator's own ceiling), and match, login and idle. The bots are
// netcode's Go client with the scripted ecs/bot, stepped by a shared
// scheduler (one goroutine per CPU, not a timer per bot) that acts only
// when a newer snapshot came; a meter under each client counts frames,
// acks, pings, snapshot spacing and the newest tick. Lobby bots retry a
// login or roster save refused with 503/429 after its Retry-After. A monitor rolls a 1 s time
// series, scrapes the servers' /metrics and prints a progress line. The
// Report has a text form, JSON (durations in ms) and a self-contained
// HTML page with embedded Chart.js; thresholds decide Passed.
//
//	rep, err := bench.Run(ctx, bench.Config{
//		Scenario:    "arena",
//		Target:      "http://127.0.0.1:7002",
//		FleetSecret: secret,
//		Clients:     400,
//		Progress:    os.Stderr,
//	})
//	if err == nil {
//		rep.WriteText(os.Stdout)
//		if !rep.Passed {
//			os.Exit(bench.ThresholdExitCode)
//		}
//	}
package bench
