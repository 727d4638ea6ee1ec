// Package client is the Go game client of the Pantheon protocol, used by
// the bench bot swarm and the server's tests. It connects over any
// transport.Dialer, sends the hello, keeps inputs until the server
// acknowledges them (resending all unacknowledged ones with every input
// and ping), reconstructs the world from delta snapshots against a ring of
// baselines and acks the newest (in every input frame, so a client that
// sends an input each tick sends no ack frames; alone only when no input
// frame carried the newest tick within a tick and a half, at most once a
// tick, so a backlog that arrives in a burst is not a flood), estimates
// RTT and clock offset from ping/pong, and resumes after a drop on the
// same or another transport.
//
// A client costs one reader goroutine plus a ping timer (and on KCP one
// socket reader with a 1.5 KiB buffer); memory is bounded by the baseline
// ring (Config.Baselines snapshots) and the unacked input queue. Close
// waits for everything it started.
//
//	cfg := client.DefaultConfig(ticket)
//	cfg.ResumeDialers = []transport.Dialer{kcpDialer, wsDialer} // resume on either
//	cfg.OnSnapshot = func(s *netcode.Snapshot) { render(s) }
//	c, err := client.Connect(ctx, kcpDialer, cfg)
//	if err != nil { ... } // errors.As(err, &ef) for a *netcode.ErrorFrame refusal
//	defer c.Close()
//	seq, err := c.SendInput(netcode.Input{MoveX: 1, CastSlot: -1})
//	st := c.Stats() // snapshots, input acks and their delay, RTT, clock offset
package client
