package lobby

import (
	"net/http"
	"strconv"
)

// ClientContent is the document GET /v1/content serves: the game content
// clients need to name what they see (archetypes, kits, abilities, modes,
// arenas, ...) and every number on the wire, so no client hard-codes ids.
// The lobby serves JSON as it is; the binary builds it from the content
// (clientcontent.go beside main).
type ClientContent struct {
	// Version is the content version, also the document's ETag.
	Version string
	// JSON is the document, a JSON object.
	JSON []byte
}

// handleContent: GET /v1/content, with ETag and If-None-Match (304).
func (l *Lobby) handleContent(w http.ResponseWriter, r *http.Request) error {
	if l.content == nil {
		return fail(http.StatusNotFound, CodeNotFound, "this lobby was started without client content")
	}
	etag := strconv.Quote(l.content.Version)
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "no-cache")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(l.content.JSON)))
	_, _ = w.Write(l.content.JSON)
	return nil
}
