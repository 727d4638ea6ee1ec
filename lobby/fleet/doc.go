// Package fleet is the lobby's side of server/CONTROL_API.md: the
// placement that orders heartbeating servers with capacity by load and
// headroom, counting the rooms placed since each heartbeat, with a seeded
// random choice among near-equal ones (Placer, Candidate, Score), and the
// HTTP client that creates rooms (Client, Allocate). The bodies themselves (contract.Heartbeat, contract.RoomSpec,
// contract.RoomCreated, ...) are the contract package's, shared with the
// room server.
//
//	p := fleet.NewPlacer(nil, 0)                  // random seed, DefaultSlack
//	ranked := p.Rank(candidates, "", 10)          // near-equal ones shuffled first
//	c := fleet.NewClient(secret, 2*time.Second)
//	room, srv, err := c.Allocate(ctx, ranked, req, 3) // tries servers in order
//
// The registry of live servers is kept by the lobby's state store; this
// package holds no state
// beyond the placer's random source.
package fleet
