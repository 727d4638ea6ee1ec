package server

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"reflect"
	"strconv"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
)

// controlHandler returns the control API (CONTROL_API.md) behind the fleet
// secret check.
func (s *Server) controlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/rooms", s.handleCreate)
	mux.HandleFunc("GET /v1/rooms", s.handleList)
	mux.HandleFunc("DELETE /v1/rooms/{id}", s.handleClose)
	mux.HandleFunc("POST /v1/drain", s.handleDrain)
	return s.requireFleetSecret(mux)
}

// requireFleetSecret answers 401 unless the request carries
// "Authorization: Bearer <fleet secret>", compared in constant time. A
// source that keeps failing is backed off (failureGuard): it gets 429
// rate_limited with Retry-After, its secret not even compared, until the
// back-off has passed.
func (s *Server) requireFleetSecret(next http.Handler) http.Handler {
	want := []byte("Bearer " + s.cfg.FleetSecret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := requestIP(r)
		if wait, blocked := s.guard.blocked(ip); blocked {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			writeControlError(w, http.StatusTooManyRequests, contract.CodeRateLimited, "too many failed fleet-secret checks from this address")
			return
		}
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			s.guard.fail(ip)
			writeControlError(w, http.StatusUnauthorized, contract.CodeUnauthorized, "missing or wrong fleet secret")
			return
		}
		s.guard.ok(ip)
		next.ServeHTTP(w, r)
	})
}

// requestIP is the peer address of r (the admin port trusts no proxy
// header).
func requestIP(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request) {
	var spec contract.RoomSpec
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, contract.MaxControlBodyBytes)).Decode(&spec); err != nil {
		writeControlError(w, http.StatusBadRequest, contract.CodeBadRequest, "body: "+err.Error())
		return
	}
	if err := spec.Validate(); err != nil {
		writeControlError(w, http.StatusBadRequest, contract.CodeBadRequest, err.Error())
		return
	}
	rm, existed, err := s.createRoom(spec)
	switch {
	case errors.Is(err, ErrContentVersion):
		writeControlError(w, http.StatusBadRequest, contract.CodeContentVersion, err.Error())
		return
	case errors.Is(err, contract.ErrBadSpec):
		writeControlError(w, http.StatusBadRequest, contract.CodeBadRequest, err.Error())
		return
	case errors.Is(err, ErrDraining):
		w.Header().Set("Retry-After", "30")
		writeControlError(w, http.StatusServiceUnavailable, contract.CodeDraining, "server is draining")
		return
	case errors.Is(err, ErrJournal):
		w.Header().Set("Retry-After", "5")
		writeControlError(w, http.StatusServiceUnavailable, contract.CodeJournal, err.Error())
		return
	case errors.Is(err, ErrServerFull):
		w.Header().Set("Retry-After", "5")
		writeControlError(w, http.StatusServiceUnavailable, contract.CodeServerFull, err.Error())
		return
	case err != nil:
		writeControlError(w, http.StatusBadRequest, contract.CodeBadRequest, err.Error())
		return
	}
	if existed && !sameSpec(rm.spec, spec) {
		writeControlError(w, http.StatusConflict, contract.CodeMatchExists,
			fmt.Sprintf("match %s exists as room %s with a different spec", spec.MatchID, rm.id))
		return
	}
	tickets, err := s.issueTickets(rm)
	if err != nil {
		writeControlError(w, http.StatusInternalServerError, contract.CodeBadRequest, err.Error())
		return
	}
	resp := contract.RoomCreated{
		RoomID: rm.id, MatchID: rm.spec.MatchID,
		KCPAddr: s.PublicKCPAddr(), WSURL: s.PublicWSURL(),
		Seats: tickets,
	}
	status := http.StatusCreated
	if existed {
		status = http.StatusOK
	}
	writeJSON(w, status, resp)
}

// sameSpec reports whether a repeated create asks for the same room.
func sameSpec(a, b contract.RoomSpec) bool {
	return reflect.DeepEqual(a, b)
}

// issueTickets signs a fresh join ticket for every seat of rm.
func (s *Server) issueTickets(rm *room) ([]contract.SeatTicket, error) {
	now := time.Now()
	out := make([]contract.SeatTicket, 0, len(rm.spec.Seats))
	for _, st := range rm.spec.Seats {
		tok, exp, err := s.tickets.Issue(KindJoin, rm.id, st.Seat, st.PlayerID, now, s.cfg.TicketTTL)
		if err != nil {
			return nil, fmt.Errorf("room %s: tickets: %w", rm.id, err)
		}
		key, err := s.joinKey(rm.id, st.Seat)
		if err != nil {
			return nil, fmt.Errorf("room %s: seat %d key: %w", rm.id, st.Seat, err)
		}
		t := contract.SeatTicket{Seat: st.Seat, PlayerID: st.PlayerID, Ticket: tok, ExpiresAt: exp.UTC()}
		if key != nil {
			t.KCPKey = base64.StdEncoding.EncodeToString(key)
		}
		out = append(out, t)
	}
	return out, nil
}

func (s *Server) handleList(w http.ResponseWriter, _ *http.Request) {
	rooms := s.reg.rooms()
	out := contract.RoomList{Rooms: make([]contract.RoomSummary, 0, len(rooms))}
	for _, rm := range rooms {
		out.Rooms = append(out.Rooms, rm.summary())
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleClose(w http.ResponseWriter, r *http.Request) {
	if err := s.CloseRoom(r.PathValue("id")); err != nil {
		writeControlError(w, http.StatusNotFound, contract.CodeRoomNotFound, err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// drainStarted is the body of POST /v1/drain's answer.
type drainStarted struct {
	Draining bool `json:"draining"`
	Rooms    int  `json:"rooms"`
}

// handleDrain: POST /v1/drain takes the server out of allocation (Drain)
// and answers 202 with the rooms still hosted. Repeating it is harmless.
func (s *Server) handleDrain(w http.ResponseWriter, _ *http.Request) {
	s.Drain()
	writeJSON(w, http.StatusAccepted, drainStarted{Draining: true, Rooms: s.reg.len()})
}

func writeControlError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, contract.ControlError{Code: code, Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(contract.ControlError{Code: contract.CodeInternal, Message: "encode response"})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
