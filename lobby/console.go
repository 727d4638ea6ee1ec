package lobby

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/lobby/fleet"
	"github.com/pantheon-oracles/pantheon/lobby/store"
	"github.com/pantheon-oracles/pantheon/persistence"
)

// Error codes of the admin API (/admin/v1/, on the admin address only; the
// public API's codes are in openapi.json).
const (
	CodeServerNotFound    = "server_not_found"
	CodeRoomNotFound      = "room_not_found"
	CodePlayerNotFound    = "player_not_found"
	CodeServerUnreachable = "room_server_unreachable"
)

// consoleTimeout bounds each room-server call the console makes.
const consoleTimeout = 3 * time.Second

//go:embed consoleui
var consoleFiles embed.FS

// consoleMux adds the operator console to mux: the page at GET /console
// (static, no secret in it) and the admin API under /admin/v1/, every call
// of which needs the fleet secret as "Authorization: Bearer <secret>",
// checked like the registry's (requireFleet: failures count against the
// address and block it).
func (l *Lobby) consoleMux(mux *http.ServeMux) {
	ui, _ := fs.Sub(consoleFiles, "consoleui")
	page := http.FileServerFS(ui)
	serve := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.Header().Set("Cache-Control", "no-store")
			r2 := r.Clone(r.Context())
			r2.URL.Path = "/" + name
			page.ServeHTTP(w, r2)
		}
	}
	mux.HandleFunc("GET /console", serve("console.html"))
	mux.HandleFunc("GET /console/console.js", serve("console.js"))
	mux.HandleFunc("GET /console/console.css", serve("console.css"))
	mux.HandleFunc("GET /console/favicon.svg", serve("favicon.svg"))
	admin := func(f handlerFunc) http.Handler {
		return l.wrap(func(w http.ResponseWriter, r *http.Request) error {
			if err := l.requireFleet(r); err != nil {
				return err
			}
			return f(w, r)
		})
	}
	mux.Handle("GET /admin/v1/overview", admin(l.handleOverview))
	mux.Handle("GET /admin/v1/players/{id}", admin(l.handleAdminPlayer))
	mux.Handle("POST /admin/v1/servers/{id}/drain", admin(l.handleDrainServer))
	mux.Handle("POST /admin/v1/rooms/{id}/close", admin(l.handleCloseRoom))
	mux.Handle("POST /admin/v1/players/{id}/revoke", admin(l.handleRevokePlayer))
	mux.Handle("GET /admin/v1/flags", admin(l.handleAdminFlags))
	mux.Handle("GET /admin/v1/flags/{key}", admin(l.handleAdminFlag))
	mux.Handle("PUT /admin/v1/flags/{key}", admin(l.handlePutFlag))
	mux.Handle("DELETE /admin/v1/flags/{key}", admin(l.handleDeleteFlag))
	mux.Handle("GET /admin/v1/flag-audit", admin(l.handleFlagAudit))
	mux.Handle("/admin/", l.wrap(func(w http.ResponseWriter, r *http.Request) error {
		if err := l.requireFleet(r); err != nil {
			return err
		}
		return fail(http.StatusNotFound, CodeNotFound, "no such admin endpoint")
	}))
}

// ConsoleServer is one room server in the overview.
type ConsoleServer struct {
	fleet.Candidate
	// Load is the fraction of its rooms in use (fleet.Load).
	Load float64 `json:"load"`
	// Outbox is its result outbox from its /metrics; nil when the scrape
	// failed (OutboxError says why).
	Outbox      *fleet.Outbox `json:"outbox"`
	OutboxError string        `json:"outbox_error,omitempty"`
	// RoomsError says why its room list could not be read.
	RoomsError string `json:"rooms_error,omitempty"`
}

// ConsoleRoom is one room in the overview.
type ConsoleRoom struct {
	ServerID string `json:"server_id"`
	contract.RoomSummary
}

// ConsoleQueue is one mode's queue in the overview.
type ConsoleQueue struct {
	Mode string `json:"mode"`
	// Size is the tickets queued.
	Size int `json:"size"`
	// OldestWaitMs is how long the longest-waiting queued ticket has
	// waited, MeanWaitMs the mean over the queue (0 when empty).
	OldestWaitMs int64  `json:"oldest_wait_ms"`
	MeanWaitMs   int64  `json:"mean_wait_ms"`
	Error        string `json:"error,omitempty"`
}

// ConsoleOutbox sums the outbox backlog over the servers scraped.
type ConsoleOutbox struct {
	PendingRecords int64 `json:"pending_records"`
	PendingBytes   int64 `json:"pending_bytes"`
	DeadLetters    int64 `json:"dead_letters"`
	FlushFailures  int64 `json:"flush_failures"`
	ResultQueue    int64 `json:"result_queue"`
	// Scraped is how many servers answered /metrics; Exposing how many of
	// them export outbox metrics.
	Scraped  int `json:"scraped"`
	Exposing int `json:"exposing"`
}

// Overview is the body of GET /admin/v1/overview.
type Overview struct {
	Replica string          `json:"replica"`
	Now     time.Time       `json:"now"`
	Servers []ConsoleServer `json:"servers"`
	Rooms   []ConsoleRoom   `json:"rooms"`
	// RoomsByMode counts Rooms by mode, then state (waiting, running,
	// ended).
	RoomsByMode   map[string]map[string]int `json:"rooms_by_mode"`
	Queues        []ConsoleQueue            `json:"queues"`
	RecentMatches []RecentMatch             `json:"recent_matches"`
	Outbox        ConsoleOutbox             `json:"outbox"`
}

// handleOverview: GET /admin/v1/overview, the fleet at a glance: the
// registry's servers (each asked for its rooms and scraped for its outbox,
// concurrently, consoleTimeout each), every mode's queue, the matches this
// replica recently placed or saw end, and the outbox backlog summed.
func (l *Lobby) handleOverview(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	now := l.now()
	cands, err := l.servers(ctx, now)
	if err != nil {
		return err
	}
	ov := Overview{Replica: l.cfg.ReplicaID, Now: now.UTC(), Servers: make([]ConsoleServer, len(cands)),
		Rooms: []ConsoleRoom{}, RoomsByMode: map[string]map[string]int{}, RecentMatches: l.recent.snapshot()}
	rooms := make([][]contract.RoomSummary, len(cands))
	var wg sync.WaitGroup
	for i, c := range cands {
		ov.Servers[i] = ConsoleServer{Candidate: c, Load: fleet.Load(c)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, consoleTimeout)
			defer cancel()
			rs, err := l.fleet.ListRooms(cctx, c.ControlURL)
			if err != nil {
				ov.Servers[i].RoomsError = err.Error()
			}
			rooms[i] = rs
			ob, err := l.fleet.Outbox(cctx, c.ControlURL)
			if err != nil {
				ov.Servers[i].OutboxError = err.Error()
			} else {
				ov.Servers[i].Outbox = &ob
			}
		}()
	}
	for _, m := range l.modes.All() {
		ov.Queues = append(ov.Queues, l.queueView(ctx, m.ID, now))
	}
	wg.Wait()
	for i, rs := range rooms {
		for _, rm := range rs {
			ov.Rooms = append(ov.Rooms, ConsoleRoom{ServerID: cands[i].ServerID, RoomSummary: rm})
			if ov.RoomsByMode[rm.Mode] == nil {
				ov.RoomsByMode[rm.Mode] = map[string]int{}
			}
			ov.RoomsByMode[rm.Mode][rm.State]++
		}
		if ob := ov.Servers[i].Outbox; ob != nil {
			ov.Outbox.Scraped++
			if ob.Exposed {
				ov.Outbox.Exposing++
			}
			ov.Outbox.PendingRecords += ob.PendingRecords
			ov.Outbox.PendingBytes += ob.PendingBytes
			ov.Outbox.DeadLetters += ob.DeadLetters
			ov.Outbox.FlushFailures += ob.FlushFailures
			ov.Outbox.ResultQueue += ob.ResultQueue
		}
	}
	writeJSON(w, http.StatusOK, ov)
	return nil
}

// queueView reads mode's queue: its size and waits at now.
func (l *Lobby) queueView(ctx context.Context, mode string, now time.Time) ConsoleQueue {
	q := ConsoleQueue{Mode: mode}
	recs, err := l.st.Queued(ctx, mode)
	if err != nil {
		q.Error = err.Error()
		return q
	}
	q.Size = len(recs)
	var total time.Duration
	for _, rec := range recs {
		wait := max(now.Sub(rec.EnqueuedAt), 0)
		total += wait
		q.OldestWaitMs = max(q.OldestWaitMs, wait.Milliseconds())
	}
	if len(recs) > 0 {
		q.MeanWaitMs = (total / time.Duration(len(recs))).Milliseconds()
	}
	return q
}

// ConsoleSession is one of a player's sessions (refresh-token families).
type ConsoleSession struct {
	ID         string    `json:"id"`
	Generation int       `json:"generation"`
	ExpiresAt  time.Time `json:"expires_at"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
	Live       bool      `json:"live"`
}

// ConsolePlayer is the body of GET /admin/v1/players/{id}.
type ConsolePlayer struct {
	PlayerID    string    `json:"player_id"`
	DisplayName string    `json:"display_name"`
	CreatedAt   time.Time `json:"created_at"`
	// Tickets are the player's live ticket and those of the matches this
	// replica recently saw, newest first.
	Tickets []ticketView `json:"tickets"`
	// Sessions are the player's unexpired sessions, live and revoked.
	Sessions []ConsoleSession `json:"sessions"`
	// RevokedBefore is the player's logout-everywhere cutoff in force:
	// access tokens issued at or before it are refused.
	RevokedBefore time.Time `json:"revoked_before,omitzero"`
}

// maxConsoleSessions bounds the sessions listed for one player.
const maxConsoleSessions = 50

// handleAdminPlayer: GET /admin/v1/players/{id}, a player's tickets and
// sessions.
func (l *Lobby) handleAdminPlayer(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("id")
	p, err := l.accounts.Player(ctx, id)
	if errors.Is(err, persistence.ErrNotFound) {
		return fail(http.StatusNotFound, CodePlayerNotFound, "no player "+id)
	}
	if err != nil {
		return err
	}
	now := l.now()
	out := ConsolePlayer{PlayerID: p.ID, DisplayName: p.DisplayName, CreatedAt: p.CreatedAt.UTC(), Tickets: []ticketView{}, Sessions: []ConsoleSession{}}
	live, err := l.st.PlayerTicket(ctx, id)
	if err != nil {
		return err
	}
	ids := l.recent.ofPlayer(id)
	if live != "" {
		ids = append([]string{live}, ids...)
	}
	seen := map[string]bool{}
	for _, tid := range ids {
		if seen[tid] {
			continue
		}
		seen[tid] = true
		rec, err := l.st.Ticket(ctx, tid)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if slices.Contains(rec.PlayerIDs, id) {
			out.Tickets = append(out.Tickets, viewTicket(rec, id))
		}
	}
	fams, err := l.refresh.PlayerFamilies(ctx, id, now, maxConsoleSessions)
	if err != nil {
		return err
	}
	for _, f := range fams {
		out.Sessions = append(out.Sessions, ConsoleSession{ID: f.ID, Generation: f.Generation, ExpiresAt: f.ExpiresAt.UTC(),
			RevokedAt: f.RevokedAt.UTC(), Live: f.RevokedAt.IsZero()})
	}
	rv, err := l.st.Revocation(ctx, "", id)
	if err != nil {
		return err
	}
	if !rv.Before.IsZero() {
		out.RevokedBefore = rv.Before.UTC()
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// fleetError translates a room-server call's failure: unreachable or
// failing servers are 502 room_server_unreachable, refusals 502 with the
// server's answer in the message.
func fleetError(err error) error {
	if errors.Is(err, fleet.ErrRoomNotFound) {
		return fail(http.StatusNotFound, CodeRoomNotFound, err.Error())
	}
	return fail(http.StatusBadGateway, CodeServerUnreachable, err.Error()).because(err)
}

// handleDrainServer: POST /admin/v1/servers/{id}/drain asks room server id
// to drain (its POST /v1/drain) and marks its registry entry draining at
// once, so no replica places another room on it while its next heartbeat
// (which says draining too) is on its way.
func (l *Lobby) handleDrainServer(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("id")
	recs, err := l.st.Servers(ctx, l.now())
	if err != nil {
		return err
	}
	i := slices.IndexFunc(recs, func(rec store.ServerRecord) bool { return rec.ID == id })
	if i < 0 {
		return fail(http.StatusNotFound, CodeServerNotFound, "no live room server "+id)
	}
	rec := recs[i]
	var hb contract.Heartbeat
	if err := json.Unmarshal(rec.Data, &hb); err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, consoleTimeout)
	defer cancel()
	rooms, err := l.fleet.Drain(cctx, hb.ControlURL)
	if err != nil {
		return fleetError(err)
	}
	hb.Draining = true
	data, err := json.Marshal(hb)
	if err != nil {
		return err
	}
	// The same Seq keeps the placed count; a heartbeat racing with this
	// write already says draining, or the next one will.
	if err := l.st.PutServer(ctx, store.ServerRecord{ID: rec.ID, ExpiresAt: rec.ExpiresAt, Data: data, Seq: rec.Seq}); err != nil {
		return err
	}
	l.log.Info("console: server draining", "server", id, "rooms", rooms)
	writeJSON(w, http.StatusOK, map[string]any{"server_id": id, "draining": true, "rooms": rooms})
	return nil
}

// handleCloseRoom: POST /admin/v1/rooms/{id}/close ends room id with an
// aborted result through the control API of the server hosting it (found
// by listing every live server's rooms; ?server= names it directly).
func (l *Lobby) handleCloseRoom(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("id")
	cands, err := l.servers(ctx, l.now())
	if err != nil {
		return err
	}
	if s := r.URL.Query().Get("server"); s != "" {
		cands = slices.DeleteFunc(cands, func(c fleet.Candidate) bool { return c.ServerID != s })
		if len(cands) == 0 {
			return fail(http.StatusNotFound, CodeServerNotFound, "no live room server "+s)
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].ServerID < cands[j].ServerID })
	var lastErr error
	for _, c := range cands {
		cctx, cancel := context.WithTimeout(ctx, consoleTimeout)
		rs, err := l.fleet.ListRooms(cctx, c.ControlURL)
		cancel()
		if err != nil {
			lastErr = err
			continue
		}
		if !slices.ContainsFunc(rs, func(s contract.RoomSummary) bool { return s.RoomID == id }) {
			continue
		}
		cctx, cancel = context.WithTimeout(ctx, consoleTimeout)
		err = l.fleet.CloseRoom(cctx, c.ControlURL, id)
		cancel()
		if err != nil {
			return fleetError(err)
		}
		l.log.Info("console: room closed", "room", id, "server", c.ServerID)
		writeJSON(w, http.StatusOK, map[string]any{"room_id": id, "server_id": c.ServerID, "closed": true})
		return nil
	}
	if lastErr != nil {
		return fail(http.StatusNotFound, CodeRoomNotFound, "room "+id+" not found on the servers that answered; last failure: "+lastErr.Error())
	}
	return fail(http.StatusNotFound, CodeRoomNotFound, "no live room server hosts room "+id)
}

// handleRevokePlayer: POST /admin/v1/players/{id}/revoke ends every
// session of the player, as a logout everywhere does: refresh tokens
// revoked, access tokens issued until now refused, push connections
// closed on every replica.
func (l *Lobby) handleRevokePlayer(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("id")
	if _, err := l.accounts.Player(ctx, id); errors.Is(err, persistence.ErrNotFound) {
		return fail(http.StatusNotFound, CodePlayerNotFound, "no player "+id)
	} else if err != nil {
		return err
	}
	if err := l.logoutEverywhere(ctx, id); err != nil {
		return err
	}
	l.met.logouts.WithLabelValues("console").Inc()
	l.log.Info("console: player's sessions revoked", "player", id)
	writeJSON(w, http.StatusOK, map[string]any{"player_id": id, "revoked": true})
	return nil
}
