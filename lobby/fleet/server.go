package fleet

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Server is a room server's heartbeat (POST /v1/servers/heartbeat on the
// lobby), exactly as CONTROL_API.md defines it.
type Server struct {
	ServerID       string  `json:"server_id"`
	ControlURL     string  `json:"control_url"`
	KCPAddr        string  `json:"kcp_addr"`
	WSURL          string  `json:"ws_url"`
	Region         string  `json:"region"`
	ContentVersion string  `json:"content_version"`
	MaxRooms       int     `json:"max_rooms"`
	Rooms          int     `json:"rooms"`
	Players        int     `json:"players"`
	TickP99Ms      float64 `json:"tick_p99_ms"`
	Draining       bool    `json:"draining"`
	// MatchesEnded are matches the server ended (results durable) since
	// the lobby last acknowledged a heartbeat; never stored in the registry.
	MatchesEnded []EndedMatch `json:"matches_ended,omitempty"`
}

// EndedMatch is one entry of a heartbeat's matches_ended
// (server.EndedMatch on the room server's side).
type EndedMatch struct {
	MatchID string   `json:"match_id"`
	Outcome string   `json:"outcome"`
	Reason  string   `json:"reason"`
	Players []string `json:"players"`
	Tickets []string `json:"tickets,omitempty"`
}

// ErrBadHeartbeat: a heartbeat is missing fields or has impossible values.
var ErrBadHeartbeat = errors.New("fleet: bad heartbeat")

// Validate checks a heartbeat before it enters the registry.
func (s Server) Validate() error {
	bad := func(why string) error { return fmt.Errorf("server %q: %s: %w", s.ServerID, why, ErrBadHeartbeat) }
	switch {
	case s.ServerID == "" || len(s.ServerID) > 128 || strings.ContainsAny(s.ServerID, " \t\r\n"):
		return bad("server_id must be 1..128 characters without spaces")
	case s.MaxRooms < 1 || s.Rooms < 0 || s.Players < 0 || s.TickP99Ms < 0:
		return bad("max_rooms must be >= 1 and rooms, players, tick_p99_ms >= 0")
	case s.KCPAddr == "" && s.WSURL == "":
		return bad("needs kcp_addr or ws_url")
	}
	u, err := url.Parse(s.ControlURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad("control_url must be an http(s) URL")
	}
	return nil
}

// Load is the fraction of the server's room capacity in use.
func (s Server) Load() float64 { return float64(s.Rooms) / float64(max(s.MaxRooms, 1)) }

// Score orders servers for allocation: lower is healthier. It adds the room
// load to the tick p99 as a fraction of tickBudgetMs, so a server whose
// ticks run late loses to an emptier or faster one.
func (s Server) Score(tickBudgetMs float64) float64 {
	if tickBudgetMs <= 0 {
		tickBudgetMs = 10
	}
	return s.Load() + s.TickP99Ms/tickBudgetMs
}

// Rank returns the servers that can take a room, healthiest (lowest Score)
// first, ties by ServerID: not draining, below max_rooms, and running
// contentVersion when it is not empty.
func Rank(servers []Server, contentVersion string, tickBudgetMs float64) []Server {
	var out []Server
	for _, s := range servers {
		if s.Draining || s.Rooms >= s.MaxRooms {
			continue
		}
		if contentVersion != "" && s.ContentVersion != contentVersion {
			continue
		}
		out = append(out, s)
	}
	slices.SortStableFunc(out, func(a, b Server) int {
		sa, sb := a.Score(tickBudgetMs), b.Score(tickBudgetMs)
		switch {
		case sa < sb:
			return -1
		case sa > sb:
			return 1
		}
		return strings.Compare(a.ServerID, b.ServerID)
	})
	return out
}
