// Package fleettest is a fake room server that follows server/CONTROL_API.md
// for the lobby's tests: POST /v1/rooms with the fleet secret, idempotent by
// match id, tickets signed with an HMAC, and switchable to full or draining.
//
//	rs := fleettest.New(t, "secret")
//	hb := rs.Heartbeat("room-1") // a contract.Heartbeat to register with the lobby
//	rooms := rs.Rooms()          // what the lobby created
package fleettest
