// Package lobby is the Pantheon lobby: an HTTP JSON API under /v1 (guest
// and platform logins, rotating refresh tokens, logout of one session or of
// every session, profiles and rosters, matchmaking tickets, the room server
// registry), a WebSocket push channel (GET /v1/events) for match_found and
// queue_status events, and the matchmaker loop that forms matches, allocates
// rooms on the healthiest room server (server/CONTROL_API.md) and sweeps
// claims that never got a room.
//
// State shared between replicas lives in a store.Store (memory by default,
// Redis to run several replicas); durable data in persistence. openapi.json
// documents the API and a test keeps it equal to the served routes.
//
//	l, err := lobby.New(lobby.Config{
//		Auth:        auth.Config{Key: key},
//		FleetSecret: secret,
//	}, lobby.Deps{Store: store.NewMemory(store.MemoryConfig{}),
//		Accounts: db, Refresh: db, Rosters: db, Ratings: db, History: db,
//		Modes: content.Modes()}) // the queues: the content's modes
//		                         // under Config.ModePolicies
//	ln, _ := net.Listen("tcp", "127.0.0.1:8080")
//	admin, _ := net.Listen("tcp", "127.0.0.1:8081")
//	go l.ServeAdmin(ctx, admin) // /metrics, /livez, /readyz, /debug/pprof, /console: private
//	err = l.Run(ctx, ln)        // serves and matchmakes until ctx is cancelled
//
// Errors are wrapped inside and translated at the edge: every failure is a
// JSON body {"code","message"} whose code is one of the Code constants; 429
// and 503 carry Retry-After.
//
// # Browsers
//
// A page served from another origin reaches the API and the push channel
// only when its origin is on Config.CORSOrigins (pantheon lobby
// --cors-origins; internal/origin syntax: exact origins, scheme://host:*
// for any port, "*"). Its preflight (OPTIONS with
// Access-Control-Request-Method) is answered 204 with the methods the path
// serves, Authorization and Content-Type as allowed headers and a 10 minute
// max age; its requests get Access-Control-Allow-Origin (errors too, so the
// page can read them) with Retry-After exposed. Any other origin gets 403
// origin_not_allowed, whose message names the origin and the flag, before
// the rate limit and the router. Requests without Origin (native clients,
// bots) and same-origin requests (Origin equal to the Host the request
// was sent to, as for the page `pantheon dev` serves through Deps.Site on
// the paths outside /v1/) need no entry. No
// credentials mode: tokens travel in the Authorization header (or the push
// channel's access_token parameter), never in cookies.
//
// # Stuck claims
//
// A pass claims a match's tickets atomically (queued -> matched) and then
// allocates a room. A replica that dies in between would leave them matched,
// and their players unable to queue, until the record retention ran out.
// Sweep (run every SweepInterval for each mode) finds tickets matched for
// longer than AssignDeadline (default 30 s, above the longest allocation a
// live replica makes) and settles each under the match id that claimed it:
// back to the queue with its original enqueue time, or failed when past the
// ticket TTL, with reason assignment_timeout in the ticket and in a
// queue_status event. Every exit from matched (assignment, requeue, sweep)
// is conditional on that match id, so a late replica cannot assign a ticket
// that was swept and claimed again; its room's seat stays empty and the room
// server's join deadline ends it.
//
// # Logout everywhere
//
// POST /v1/auth/logout with {"everywhere": true} revokes every refresh
// family of the player, then stores a per-player cutoff (for the access-token
// lifetime): every access token issued at or before it is refused on HTTP
// and on the push channel, and a player_revoked event closes the player's
// open push connections (4001) on every replica. Access tokens carry their
// issue time to the microsecond (iat_us) so a login right after the logout
// is not caught by it.
//
// # Placement
//
// Each claimed match reads the registry again and orders its candidates
// with Deps.Placer (fleet.Placer): draining servers and those with no
// room left get none; the others are scored by load, counting the rooms
// placed on them since their last heartbeat (Store.AddPlaced, shared by
// every replica on one Redis, reset by the server's next heartbeat round),
// plus tick p99 over Config.TickBudgetMs; the servers within
// Config.PlacementSlack of the best are tried first in a random order
// weighted by free rooms, the rest after them. So concurrent placements
// (AllocWorkers, other replicas) spread over near-equal servers instead
// of piling onto the first by id, and a burst between two heartbeats
// still sees each server fill up. GET /v1/servers shows the count as
// "placed".
//
// # No room server
//
// When no room server can take a mode's matches (none registered, all
// full or draining, or the ones advertising room refuse), the matchmaker
// does not re-form, re-claim and re-fail the same matches every pass.
// A pass that formed matches ranks the live registry's candidates
// (fleet.Placer) and fingerprints them (server ids, control URLs, content
// versions, free rooms; not the load figures that move with every
// heartbeat). With no candidate it claims nothing and holds the matches;
// when placements fail because no server accepted, the mode holds the
// next passes' matches too. While held, passes still form matches and
// expire old tickets but claim nothing until the fingerprint changes (a
// server with room heartbeats, a room frees, a server stops draining:
// placement resumes at the next pass) or Config.CapacityRetry (2 s)
// passes, after which one match probes (none while there is no candidate
// at all). A pass whose placements succeed ends the hold.
//
// Players hear of it once per shortage: a ticket of a held match gets one
// queue_status (state queued, reason waiting_for_server); a ticket whose
// placement failed gets its one requeue event (reason no_room_server);
// neither gets the matched/queued events of later probes. Their next
// event is match_found. The shortage logs one warning when it starts and
// one line when matches are placed again; matches_waiting_for_server shows
// how many matches wait meanwhile.
//
// # Database outages
//
// Ticket creation (and party consent) needs each player's rating and
// roster. They are read through a cache (dbcache.go) so that matchmaking
// goes on while the database is down: each read goes to the database with
// a deadline of Config.DBTimeout (300 ms) and refreshes the cache; a read
// that fails with persistence.ErrUnavailable or misses the deadline is
// answered from the cache, and the database is left alone for
// Config.DBRetry (1 s), after which one read probes it. A rating never
// read is the rating package's default (rating.DefaultModel().New():
// mu 25, sigma 25/3, what a new player gets); a roster never read cannot
// be made up, so that player's ticket is a 503 until the database answers.
// Roster writes need the database and, when they succeed, update the
// cached roster. Each cache holds at most Config.DBCacheEntries entries
// (100,000), least recently used dropped first. While the database is
// down (its tracker, below, says so) only the DBRetry probes reach it; once
// it answers again (a probe or the health loop's ping) every read does.
//
// db_cache_hits_total says how each read was answered. Logins, refreshes
// and roster writes still answer 503 while the database is down; access
// tokens are checked without it, so players already logged in keep
// queueing and playing.
//
// # Outage logs
//
// An outage of the state store (Redis) or the database is logged like a
// service logs it, not once per request or pass: each dependency has an
// internal/outage tracker fed by a health loop (Run pings the state store,
// and Deps.Database when set, every Config.HealthInterval, 1 s) and by
// every call that fails with store.ErrUnavailable or
// persistence.ErrUnavailable (requests answered 503, matchmaking passes,
// sweeps, event publishes, database reads). The first failure logs one
// warning "dependency down" (dependency=state_store or database, with the
// error); the first success after it one info line "dependency recovered"
// with the outage's duration and the failures seen. Between them the
// failing calls log at debug level only, dependency_up is 0 and
// dependency_failures_total grows. go-redis's own lines (failed dials) are
// routed through slog at debug level by `pantheon lobby`.
//
// # Metrics
//
// /metrics is served by AdminHandler on a separate, private admin address
// (pantheon lobby --admin-addr), not on the public API: scrapes must not use
// per-IP rate-limit tokens or count as API traffic, and queue depths, error
// rates and profiles are for operators, not players. The registry is the
// lobby's own (never the global default) with the Go and process
// collectors, unless Deps.Registry supplies one, and always
// pantheon_build_info{version,commit,goversion} = 1 (internal/buildinfo).
//
// # Probes
//
// The admin address also answers the probes: GET /livez is 200 while the
// process serves (a liveness probe must not restart replicas during a Redis
// outage); GET /readyz is 200 when the replica can serve (the state store
// answers a ping within 500 ms, the content's modes are loaded, Run is not
// shutting down), else 503 {"status":"not_ready","reasons":[...]} with
// state_store_unavailable, content_not_loaded or shutting_down. The public
// GET /v1/health is unchanged (503 without the state store).
//
// # Operator console
//
// The admin address also serves the operator console (console.go): a
// static page at GET /console (lobby/consoleui, embedded) over a JSON API
// under /admin/v1/ that needs the fleet secret (requireFleet, failures
// counted against the address): GET overview (registry, every server's
// rooms and outbox backlog scraped from its /metrics, queues, recent
// matches of this replica), GET players/{id} (live and recent tickets,
// sessions), POST servers/{id}/drain (the server's POST /v1/drain, and
// its registry entry marked draining at once), POST rooms/{id}/close and
// POST players/{id}/revoke (a logout everywhere). README, "Operator
// console", documents it for operators.
//
// Series, all prefixed pantheon_lobby_:
//
//	series                                 type       labels           meaning
//	http_requests_total                    counter    route, code      requests by route pattern ("unmatched" for 404/405) and status
//	http_request_duration_seconds          histogram  route, code      time to answer (to the upgrade for GET /v1/events)
//	logins_total                           counter    method, outcome  guest, provider, refresh; "ok" or the error code
//	logouts_total                          counter    scope            session, everywhere, console
//	queue_length                           gauge      mode             tickets queued, read from the shared store at scrape time
//	ticket_wait_seconds                    histogram  mode, outcome    wait until matched (each claim), expired, cancelled, failed
//	pass_duration_seconds                  histogram  mode             one pass this replica led, allocation included
//	matches_total                          counter    mode             matches formed and claimed
//	allocation_failures_total              counter    mode             claimed matches no room server took (requeued)
//	swept_tickets_total                    counter    mode, result     stuck claims requeued or failed by the sweeper
//	push_connections                       gauge      -                open push connections on this replica
//	push_closes_total                      counter    reason           client, session_revoked, token_expired, slow_consumer, shutdown
//	unavailable_total                      counter    backend          failures because state (Redis) or db (Postgres/SQLite) was down
//	rate_limited_total                     counter    limit            per_ip, login_per_ip, login_per_account, ip_blocked,
//	                                                                   tickets_per_player, queue_full
//	db_cache_hits_total                    counter    kind, result     ratings and rosters read for tickets: kind rating or roster;
//	                                                                   result fresh (database), stale (cache, database down),
//	                                                                   default (rating never seen), miss (roster never seen: 503)
//	db_cache_entries                       gauge      kind             entries held by the ratings and rosters caches
//	events_total                           counter    type, reason     push events published, one per player; reason none,
//	                                                                   no_room_server, waiting_for_server, assignment_timeout
//	matches_waiting_for_server             gauge      mode             matches the last pass held: no room server can take them
//	dependency_up                          gauge      dependency       1 up, 0 from the first failure until an answer
//	                                                                   (database, state_store)
//	dependency_failures_total              counter    dependency       failed pings, reads, requests and passes that showed the
//	                                                                   dependency unavailable; grows while it stays down
//	matches_ended_total                    counter    outcome          matches room servers reported ended (heartbeats' matches_ended)
//	tickets_ended_total                    counter    -                tickets moved from assigned to ended by those reports
//	tickets_tracked                        gauge      -                tickets this replica created and watches for loss
//	tickets_lost_total                     counter    -                tickets the state store lost, told with ticket_lost
//	tickets_untracked_total                counter    -                tickets not watched (past 100,000 watched)
//
// queue_length is the same on every replica (use max, not sum); the other
// series are per replica (sum them).
package lobby
