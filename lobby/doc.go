// Package lobby is the Pantheon lobby: an HTTP JSON API under /v1 (guest
// and platform logins, rotating refresh tokens, profiles and rosters,
// matchmaking tickets, the room server registry), a WebSocket push channel
// (GET /v1/events) for match_found and queue_status events, and the
// matchmaker loop that forms matches and allocates rooms on the healthiest
// room server (server/CONTROL_API.md).
//
// State shared between replicas lives in a store.Store (memory by default,
// Redis to run several replicas); durable data in persistence. openapi.json
// documents the API and a test keeps it equal to the served routes.
//
//	l, err := lobby.New(lobby.Config{
//		Auth:        auth.Config{Key: key},
//		FleetSecret: secret,
//	}, lobby.Deps{Store: store.NewMemory(store.MemoryConfig{}),
//		Accounts: db, Refresh: db, Rosters: db, Ratings: db})
//	ln, _ := net.Listen("tcp", "127.0.0.1:8080")
//	err = l.Run(ctx, ln) // serves and matchmakes until ctx is cancelled
//
// Errors are wrapped inside and translated at the edge: every failure is a
// JSON body {"code","message"} whose code is one of the Code constants; 429
// and 503 carry Retry-After.
package lobby
