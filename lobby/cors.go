package lobby

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pantheon-oracles/pantheon/internal/origin"
)

// CodeOriginNotAllowed is the error code of a browser request from an
// origin that is not on Config.CORSOrigins.
const CodeOriginNotAllowed = "origin_not_allowed"

// corsMaxAge is how long a browser may cache a preflight answer.
const corsMaxAge = 10 * time.Minute

// corsAllowHeaders are the request headers a browser may send cross-origin:
// the token, the JSON body, and the caller context feature flags read
// (GET /v1/flags, ticket gating).
const corsAllowHeaders = "Authorization, Content-Type, X-Pantheon-Platform, X-Pantheon-Region, X-Pantheon-App-Version, X-Pantheon-Phase"

// corsExposeHeaders are the response headers scripts may read.
const corsExposeHeaders = "Retry-After, WWW-Authenticate"

// cors is the lobby's browser access (doc.go, "Browsers"): requests without
// an Origin header (native clients, bots) and same-origin requests pass
// untouched; an allowed origin gets the CORS headers, and its preflight
// (OPTIONS with Access-Control-Request-Method) a 204 naming the methods
// its path serves; any other origin gets 403 origin_not_allowed with a
// body naming the origin and the flag that allows it. Preflights are
// answered here, before the rate limit and the router.
func (l *Lobby) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := r.Header.Get("Origin")
		if o == "" || origin.SameOrigin(o, r.Host) {
			next.ServeHTTP(w, r)
			return
		}
		if !l.origins.Allows(o) {
			l.log.Debug("refused browser origin", "origin", o, "method", r.Method, "path", r.URL.Path)
			writeJSON(w, http.StatusForbidden, errorBody{Code: CodeOriginNotAllowed,
				Message: fmt.Sprintf("origin %s is not allowed by this lobby; add it to --cors-origins (comma-separated; pantheon lobby --cors-origins, env PANTHEON_CORS_ORIGINS)", o)})
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", o)
		h.Add("Vary", "Origin")
		h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
			next.ServeHTTP(w, r)
			return
		}
		allow := l.methodsFor(r)
		if len(allow) == 0 {
			l.writeError(w, r, fail(http.StatusNotFound, CodeNotFound, "no such endpoint"))
			return
		}
		h.Set("Access-Control-Allow-Methods", strings.Join(allow, ", "))
		h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		h.Set("Access-Control-Max-Age", strconv.Itoa(int(corsMaxAge.Seconds())))
		w.WriteHeader(http.StatusNoContent)
	})
}
