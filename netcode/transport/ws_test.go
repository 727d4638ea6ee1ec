package transport

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// TestWSOriginPolicy: browsers from a listed origin and native clients
// without Origin are upgraded; other origins get 403.
func TestWSOriginPolicy(t *testing.T) {
	cfg := DefaultWSConfig(ServerConfig())
	cfg.AllowedOrigins = []string{"https://play.example.com"}
	wl, err := ListenWS("127.0.0.1:0", "/v1/play", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer wl.Close()
	url := "ws://" + wl.Addr().String() + "/v1/play"
	for origin, ok := range map[string]bool{"": true, "https://play.example.com": true, "https://evil.example": false} {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		c, err := WSDialer{URL: url, Config: DefaultWSConfig(ClientConfig()), Header: h}.Dial(ctxT(t))
		if ok != (err == nil) {
			t.Fatalf("origin %q: err %v", origin, err)
		}
		if err != nil && !strings.Contains(err.Error(), websocket.ErrBadHandshake.Error()) {
			t.Fatalf("origin %q: %v", origin, err)
		}
		if c != nil {
			c.Close()
		}
	}
}

// TestWSTextFrameIsRejected: the protocol is binary-only.
func TestWSTextFrameIsRejected(t *testing.T) {
	wl, err := ListenWS("127.0.0.1:0", "/", DefaultWSConfig(ServerConfig()))
	if err != nil {
		t.Fatal(err)
	}
	defer wl.Close()
	c, _, err := websocket.DefaultDialer.Dial("ws://"+wl.Addr().String()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.WriteMessage(websocket.TextMessage, hello()); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5e9, "text hello counted as bad", func() bool { return wl.Stats().BadHellos == 1 })
}
