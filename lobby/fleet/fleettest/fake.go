package fleettest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/lobby/fleet"
)

// Server is a fake room server listening on 127.0.0.1.
type Server struct {
	*httptest.Server
	secret string

	mu       sync.Mutex
	rooms    map[string]contract.RoomCreated // by match id
	requests []contract.RoomSpec
	full     bool
	draining bool
}

// New starts a fake room server closed at the end of the test.
func New(t testing.TB, secret string) *Server {
	s := &Server{secret: secret, rooms: map[string]contract.RoomCreated{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/rooms", s.create)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// SetFull makes the server answer 503 server_full (or stop doing so).
func (s *Server) SetFull(full bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.full = full
}

// SetDraining makes the server answer 503 draining.
func (s *Server) SetDraining(d bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.draining = d
}

// Rooms returns the rooms created, by match id.
func (s *Server) Rooms() map[string]contract.RoomCreated {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]contract.RoomCreated, len(s.rooms))
	for k, v := range s.rooms {
		out[k] = v
	}
	return out
}

// Requests returns every accepted POST /v1/rooms body, in order.
func (s *Server) Requests() []contract.RoomSpec {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]contract.RoomSpec(nil), s.requests...)
}

// Heartbeat returns a heartbeat for this server under id.
func (s *Server) Heartbeat(id string) contract.Heartbeat {
	return contract.Heartbeat{ServerID: id, ControlURL: s.URL, KCPAddr: "127.0.0.1:7000", WSURL: "ws://127.0.0.1:7001/v1/play",
		Region: "local", MaxRooms: 100, Rooms: len(s.Rooms())}
}

// Sign returns the fake join ticket of (room, seat, player).
func (s *Server) Sign(room string, seat int, player string) string {
	h := hmac.New(sha256.New, []byte(s.secret))
	fmt.Fprintf(h, "%s|%d|%s", room, seat, player)
	return hex.EncodeToString(h.Sum(nil))
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"code": code, "message": msg})
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	if !fleet.CheckSecret(r.Header.Get("Authorization"), s.secret) {
		writeErr(w, http.StatusUnauthorized, "unauthorized", "bad fleet secret")
		return
	}
	var req contract.RoomSpec
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil || req.MatchID == "" || len(req.Seats) == 0 {
		writeErr(w, http.StatusBadRequest, "bad_request", "malformed room request")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if room, ok := s.rooms[req.MatchID]; ok {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(room)
		return
	}
	switch {
	case s.draining:
		writeErr(w, http.StatusServiceUnavailable, "draining", "draining")
		return
	case s.full:
		writeErr(w, http.StatusServiceUnavailable, "server_full", "full")
		return
	}
	room := contract.RoomCreated{RoomID: "r_" + strconv.Itoa(len(s.rooms)+1), MatchID: req.MatchID, KCPAddr: "127.0.0.1:7000",
		WSURL: "ws://127.0.0.1:7001/v1/play"}
	for _, seat := range req.Seats {
		room.Seats = append(room.Seats, contract.SeatTicket{Seat: seat.Seat, PlayerID: seat.PlayerID,
			Ticket: s.Sign(room.RoomID, seat.Seat, seat.PlayerID), ExpiresAt: time.Now().Add(time.Minute).UTC(),
			KCPKey: SeatKey(room.RoomID, seat.Seat)})
	}
	s.rooms[req.MatchID] = room
	s.requests = append(s.requests, req)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(room)
}

// SeatKey is the KCP key the fake hands out for seat of room (base64 of
// "key:<room>/<seat>"): distinct per seat, like a real room server's.
func SeatKey(room string, seat int) string {
	return base64.StdEncoding.EncodeToString([]byte("key:" + room + "/" + strconv.Itoa(seat)))
}
