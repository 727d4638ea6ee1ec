package transport

import (
	"encoding/json"
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
	cfg.OriginHint = "allow it with pantheon room --ws-origins"
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
	// The refusal is a JSON body naming the origin and the hint.
	req, _ := http.NewRequest("GET", "http://"+wl.Addr().String()+"/v1/play", nil)
	for k, v := range map[string]string{"Origin": "https://evil.example", "Connection": "Upgrade", "Upgrade": "websocket",
		"Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="} {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Code, Message string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 403 || resp.Header.Get("Content-Type") != "application/json" || body.Code != "origin_not_allowed" ||
		!strings.Contains(body.Message, "https://evil.example") || !strings.Contains(body.Message, "--ws-origins") {
		t.Fatalf("refusal: %d %q %+v", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

// TestWSOriginAnyPort: a scheme://host:* entry allows the host on any port.
func TestWSOriginAnyPort(t *testing.T) {
	cfg := DefaultWSConfig(ServerConfig())
	cfg.AllowedOrigins = []string{"http://localhost:*"}
	wl, err := ListenWS("127.0.0.1:0", "/v1/play", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer wl.Close()
	url := "ws://" + wl.Addr().String() + "/v1/play"
	for origin, ok := range map[string]bool{"http://localhost:5173": true, "http://localhost:8080": true, "https://localhost:5173": false} {
		c, err := WSDialer{URL: url, Config: DefaultWSConfig(ClientConfig()), Header: http.Header{"Origin": {origin}}}.Dial(ctxT(t))
		if ok != (err == nil) {
			t.Fatalf("origin %q: err %v", origin, err)
		}
		if c != nil {
			c.Close()
		}
	}
	bad := DefaultWSConfig(ServerConfig())
	bad.AllowedOrigins = []string{"localhost:5173"}
	if _, err := NewWSListener(bad); err == nil {
		t.Fatal("a malformed origin was accepted")
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
