package fleet

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestClientOps: ListRooms, CloseRoom, Drain and Outbox send the fleet
// secret, decode the answers (Outbox sums the outbox series of a
// Prometheus text page) and translate a 404 room_not_found and a 401.
func TestClientOps(t *testing.T) {
	const secret = "s3cret-s3cret-s3cret-s3cret-s3cret"
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/rooms", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"rooms":[{"room_id":"r_1","match_id":"m_1","mode":"raid","state":"running","players":3,"tick":9}]}`))
	})
	mux.HandleFunc("DELETE /v1/rooms/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "r_1" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"code":"room_not_found","message":"no"}`))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /v1/drain", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"draining":true,"rooms":1}`))
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("# TYPE pantheon_outbox_pending_records gauge\npantheon_outbox_pending_records 7\n" +
			"# TYPE pantheon_outbox_dead_letters_total counter\npantheon_outbox_dead_letters_total 2\n" +
			"# TYPE pantheon_room_result_queue_length gauge\npantheon_room_result_queue_length 3\n"))
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !CheckSecret(r.Header.Get("Authorization"), secret) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"code":"unauthorized","message":"missing or wrong fleet secret"}`))
			return
		}
		mux.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ctx := context.Background()
	c := NewClient(secret, 5*time.Second)
	rooms, err := c.ListRooms(ctx, srv.URL)
	if err != nil || len(rooms) != 1 || rooms[0].RoomID != "r_1" || rooms[0].Players != 3 {
		t.Fatalf("ListRooms: got %+v, %v; want room r_1 with 3 players", rooms, err)
	}
	if err := c.CloseRoom(ctx, srv.URL, "r_1"); err != nil {
		t.Fatalf("CloseRoom r_1: %v", err)
	}
	if err := c.CloseRoom(ctx, srv.URL, "r_2"); !errors.Is(err, ErrRoomNotFound) {
		t.Fatalf("CloseRoom r_2: got %v, want ErrRoomNotFound", err)
	}
	if n, err := c.Drain(ctx, srv.URL); err != nil || n != 1 {
		t.Fatalf("Drain: got %d, %v; want 1 room", n, err)
	}
	ob, err := c.Outbox(ctx, srv.URL)
	if err != nil || !ob.Exposed || ob.PendingRecords != 7 || ob.DeadLetters != 2 || ob.ResultQueue != 3 {
		t.Fatalf("Outbox: got %+v, %v; want 7 pending, 2 dead letters, 3 queued", ob, err)
	}
	if _, err := NewClient("wrong", time.Second).ListRooms(ctx, srv.URL); !errors.Is(err, ErrRefused) {
		t.Fatalf("ListRooms with a wrong secret: got %v, want ErrRefused", err)
	}
}
