package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSteamProvider runs the Steam verifier against a fake Web API: an OK
// ticket, an invalid one, a banned user and a 5xx.
func TestSteamProvider(t *testing.T) {
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.URL.Path != "/ISteamUserAuth/AuthenticateUserTicket/v1/" || q.Get("key") != "secret-key" || q.Get("appid") != "480" || q.Get("identity") != "pantheon" {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		switch q.Get("ticket") {
		case "0a0b":
			w.Write([]byte(`{"response":{"params":{"result":"OK","steamid":"76561197960287930","ownersteamid":"76561197960287930","vacbanned":false,"publisherbanned":false}}}`))
		case "0bad":
			w.Write([]byte(`{"response":{"error":{"errorcode":101,"errordesc":"Invalid ticket"}}}`))
		case "0ba2":
			w.Write([]byte(`{"response":{"params":{"result":"OK","steamid":"76561197960287931","vacbanned":true,"publisherbanned":false}}}`))
		default:
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}
	}))
	defer fake.Close()
	s, err := NewSteam(SteamConfig{Key: "secret-key", AppID: "480", Identity: "pantheon", BaseURL: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.Verify(context.Background(), "0a0b")
	if err != nil || id.Subject != "76561197960287930" {
		t.Fatalf("OK ticket: %+v, %v", id, err)
	}
	for _, c := range []struct{ ticket, what string }{{"0bad", "invalid ticket"}, {"0ba2", "banned user"}, {"zz", "non-hex ticket"}} {
		if _, err := s.Verify(context.Background(), c.ticket); !errors.Is(err, ErrBadCredential) {
			t.Errorf("%s: %v, want ErrBadCredential", c.what, err)
		}
	}
	_, err = s.Verify(context.Background(), "ffff")
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrBadCredential) {
		t.Errorf("5xx: %v, want ErrUnavailable only", err)
	}
	fake.Close()
	_, err = s.Verify(context.Background(), "0a0b")
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrBadCredential) || strings.Contains(err.Error(), "secret-key") {
		t.Errorf("API down: %v, want ErrUnavailable without the key", err)
	}
	if _, err := NewSteam(SteamConfig{Key: "k"}); err == nil {
		t.Error("steam without an app id accepted")
	}
}
