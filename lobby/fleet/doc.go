// Package fleet is the lobby's side of server/CONTROL_API.md: the heartbeat
// a room server sends (Server), the ranking that picks the healthiest server
// with capacity (Rank), and the HTTP client that creates rooms (Client,
// Allocate).
//
//	ranked := fleet.Rank(servers, "", 10)       // healthiest first
//	c := fleet.NewClient(secret, 2*time.Second)
//	room, srv, err := c.Allocate(ctx, ranked, req) // tries servers in order
//
// The registry of live servers is kept by the lobby's state store; this
// package holds no state.
package fleet
