// Package web is the browser page `pantheon dev` serves at / on the lobby
// port: guest login, an oracle from the lobby's content, a queue (bots fill
// the seats), the match drawn on a canvas with its HUD, and the stored
// result. It is written in TypeScript on the SDK (sdk/js) under web/src and
// bundled with esbuild into dist/ (one JS file, the HTML and the CSS),
// which is committed and embedded here, so the binary serves it with
// nothing else installed.
//
//	mux := http.NewServeMux()
//	mux.Handle("/", web.Handler()) // /, /app.js, /style.css
//
// Rebuild the bundle after changing web/src or sdk/js/src with `make web`
// (node build.mjs) and commit dist/; `make verify` and TestBundleUpToDate
// fail while it is stale. web/test/browser.mjs plays the page in Debian's
// chromium for the root package's TestBrowserPlaysRitual.
package web
