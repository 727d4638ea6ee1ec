package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestDiscordProvider runs the Discord verifier against a fake API: a good
// code, invalid_grant, a token endpoint 5xx, a users/@me 5xx and the API
// down.
func TestDiscordProvider(t *testing.T) {
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/oauth2/token":
			r.ParseForm()
			if r.Form.Get("client_id") != "app" || r.Form.Get("client_secret") != "s3cret" || r.Form.Get("redirect_uri") != "https://game.example/cb" {
				http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
				return
			}
			switch r.Form.Get("code") {
			case "good":
				w.Write([]byte(`{"access_token":"at-good","token_type":"Bearer","expires_in":600}`))
			case "me-down":
				w.Write([]byte(`{"access_token":"at-down","token_type":"Bearer","expires_in":600}`))
			case "busy":
				http.Error(w, `{"error":"server_error"}`, http.StatusBadGateway)
			default:
				w.WriteHeader(http.StatusBadRequest)
				w.Write([]byte(`{"error":"invalid_grant","error_description":"Invalid \"code\" in request."}`))
			}
		case "/users/@me":
			if r.Header.Get("Authorization") != "Bearer at-good" {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			w.Write([]byte(`{"id":"80351110224678912","username":"nelly","global_name":"Nelly"}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer fake.Close()
	d, err := NewDiscord(DiscordConfig{ClientID: "app", ClientSecret: "s3cret", RedirectURL: "https://game.example/cb", APIURL: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	id, err := d.Verify(ctx, "good")
	if err != nil || id.Subject != "80351110224678912" || id.DisplayName != "Nelly" {
		t.Fatalf("good code: %+v, %v", id, err)
	}
	for _, code := range []string{"used-code", ""} {
		if _, err := d.Verify(ctx, code); !errors.Is(err, ErrBadCredential) || errors.Is(err, ErrUnavailable) {
			t.Errorf("code %q: %v, want ErrBadCredential only", code, err)
		}
	}
	for _, code := range []string{"busy", "me-down"} {
		if _, err := d.Verify(ctx, code); !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrBadCredential) {
			t.Errorf("code %q: %v, want ErrUnavailable only", code, err)
		}
	}
	fake.Close()
	if _, err := d.Verify(ctx, "good"); !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrBadCredential) {
		t.Errorf("API down: %v, want ErrUnavailable only", err)
	}
	if _, err := NewDiscord(DiscordConfig{ClientID: "app", RedirectURL: "https://game.example/cb"}); err == nil {
		t.Error("discord without a secret accepted")
	}
}
