package server

import (
	"strings"
	"testing"
)

// TestLobbyURLsChecked: a malformed lobby URL is a configuration error (the
// server does not start), not a heartbeat warning at run time.
func TestLobbyURLsChecked(t *testing.T) {
	for _, u := range []string{"http://lobby-a:8080,http://lobby-b:8080", "lobby:8080", "ftp://lobby", "http://", "http://lobby/?x=1", "http://u:p@lobby", "http://lo bby"} {
		cfg := testConfig()
		cfg.LobbyURLs = []string{"http://ok:8080", u}
		err := cfg.WithDefaults().Validate()
		if err == nil || !strings.Contains(err.Error(), "lobby URL") {
			t.Errorf("lobby URL %q: %v, want a lobby URL error", u, err)
		}
	}
	cfg := testConfig()
	cfg.LobbyURLs = []string{"http://10.0.0.1:8080", "https://lobby.example.com/base/"}
	if err := cfg.WithDefaults().Validate(); err != nil {
		t.Fatalf("good URLs: %v", err)
	}
}
