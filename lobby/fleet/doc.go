// Package fleet is the lobby's side of server/CONTROL_API.md: the ranking
// that picks the healthiest heartbeating server with capacity (Rank,
// Score), and the HTTP client that creates rooms (Client, Allocate). The
// bodies themselves (contract.Heartbeat, contract.RoomSpec,
// contract.RoomCreated, ...) are the contract package's, shared with the
// room server.
//
//	ranked := fleet.Rank(servers, "", 10)       // healthiest first
//	c := fleet.NewClient(secret, 2*time.Second)
//	room, srv, err := c.Allocate(ctx, ranked, req, 3) // tries servers in order
//
// The registry of live servers is kept by the lobby's state store; this
// package holds no state.
package fleet
