package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/internal/testsvc"
)

// TestHandler: / is the page with its CSP, the bundle's files are served
// with their types, anything else is 404 and only GET and HEAD are allowed.
func TestHandler(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	get := func(method, path string) (*http.Response, string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := get("GET", "/")
	if resp.StatusCode != 200 || !strings.Contains(body, `<script type="module" src="app.js">`) ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "connect-src 'self' ws: wss:") {
		t.Fatalf("GET /: %d %v %.200s", resp.StatusCode, resp.Header, body)
	}
	for path, ctype := range map[string]string{"/app.js": "text/javascript", "/style.css": "text/css"} {
		resp, body := get("GET", path)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), ctype) || len(body) == 0 || resp.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s: %d %v", path, resp.StatusCode, resp.Header)
		}
	}
	for _, path := range []string{"/nope.js", "/dist/app.js", "/../web.go"} {
		if resp, _ := get("GET", path); resp.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
	if resp, _ := get("POST", "/"); resp.StatusCode != 405 {
		t.Errorf("POST /: %d, want 405", resp.StatusCode)
	}
}

// TestBundleUpToDate: dist/ is what web/src and sdk/js/src build to
// (build.mjs --check rebuilds into a temporary directory and compares).
// It needs node and web/node_modules (`npm ci` in web/); without them it
// skips, or fails when PANTHEON_REQUIRE_SERVICES=1.
func TestBundleUpToDate(t *testing.T) {
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join("node_modules", "esbuild", "package.json"))
	}
	if err != nil {
		msg := "needs node and web/node_modules (install Node 20 and run `npm ci` in web/): " + err.Error()
		if testsvc.Required() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, "build.mjs", "--check").CombinedOutput()
	if err != nil {
		t.Fatalf("%s\n%v", out, err)
	}
}
