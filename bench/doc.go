// Package bench drives a running room server from the outside, the way
// players would, and reports what it measured. `pantheon bench` is its
// command; everything it does is bounded in count and time and aimed only
// at loopback addresses.
//
// Today it has one scenario, "idle": connect N idle clients (half KCP, half
// WebSocket, through netcode's Go client) and report the growth of the
// server's resident memory per connection, read from the server's own
// /metrics (process_resident_memory_bytes). A scenario is a function from
// Config to Report, so bot swarms that play matches can be added beside it,
// sharing the control-API client, the dialers and the text/JSON report.
//
//	rep, err := bench.Run(ctx, bench.Config{
//		Target:      "http://127.0.0.1:7002",
//		FleetSecret: secret,
//		Clients:     1000,
//	})
//	if err == nil {
//		rep.WriteText(os.Stdout)
//	}
package bench
