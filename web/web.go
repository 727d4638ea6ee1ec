package web

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed dist
var dist embed.FS

// Files returns the bundle: index.html, app.js and style.css.
func Files() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic("web: " + err.Error()) // the directory is embedded at build time
	}
	return sub
}

// contentSecurityPolicy lets the page load only its own files and connect
// to the lobby (its own origin) and to room servers over WebSocket.
const contentSecurityPolicy = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'; base-uri 'none'; frame-ancestors 'none'"

// Handler serves the bundle: / is index.html, every other path a file of
// the bundle or 404. GET and HEAD only. Responses are not cached (the page
// changes with the binary).
func Handler() http.Handler {
	files := Files()
	server := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name == "" {
			name = "index.html"
		}
		if st, err := fs.Stat(files, name); err != nil || st.IsDir() {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		if name == "index.html" {
			h.Set("Content-Security-Policy", contentSecurityPolicy)
			// Served as a file (FileServerFS redirects /index.html to /).
			http.ServeFileFS(w, r, files, name)
			return
		}
		server.ServeHTTP(w, r)
	})
}
