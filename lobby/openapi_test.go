package lobby

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes checks openapi.json against the real routes in
// both directions, and that every documented route is actually served (the
// mux routes it; it is not answered 404/405 by the router).
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	h := newHarness(t, nil, nil)
	var served []string
	for _, rt := range h.l.routes {
		served = append(served, rt.method+" "+rt.path)
	}
	slices.Sort(documented)
	slices.Sort(served)
	for _, s := range served {
		if !slices.Contains(documented, s) {
			t.Errorf("route %s is not documented in openapi.json", s)
		}
	}
	for _, d := range documented {
		if !slices.Contains(served, d) {
			t.Errorf("openapi.json documents %s, which is not served", d)
		}
	}
	// Every documented operation reaches a handler through the real handler.
	for _, d := range documented {
		method, path, _ := strings.Cut(d, " ")
		path = strings.NewReplacer("{oracle_id}", "o1", "{ticket_id}", "t1", "{match_id}", "m1", "{mode}", "battle_1v1").Replace(path)
		req := httptest.NewRequest(method, path, nil)
		req.RemoteAddr = "127.0.0.1:1"
		if _, pattern := h.l.mux.Handler(req); pattern == "" {
			t.Errorf("%s: no handler for %s %s", d, method, path)
		}
		rec := httptest.NewRecorder()
		h.l.Handler().ServeHTTP(rec, req)
		var e errorBody
		_ = json.Unmarshal(rec.Body.Bytes(), &e)
		if e.Code == CodeNotFound || e.Code == CodeMethodNotAllowed || rec.Code == http.StatusMethodNotAllowed {
			t.Errorf("%s answered %d %s", d, rec.Code, rec.Body)
		}
	}
	// The served document is the file.
	r := h.do("GET", "/v1/openapi.json", "", nil)
	if r.status != 200 || string(r.body) != string(openAPIDoc) {
		t.Fatalf("GET /v1/openapi.json: %d", r.status)
	}
}

// TestOpenAPIListsErrorCodes: every Code constant used by the lobby is in
// the Error schema's enum, and vice versa.
func TestOpenAPIListsErrorCodes(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}
	enum := doc.Components.Schemas["Error"].Properties["code"].Enum
	codes := []string{CodeBadRequest, CodeBodyTooLarge, CodeNotFound, CodeMethodNotAllowed, CodeUnauthorized, CodeTokenExpired,
		CodeTokenTooLarge, CodeSessionRevoked, CodeRefreshReused, CodeBadCredential, CodeUnknownProvider, CodeIdentityTaken,
		CodeRateLimited, CodeQueueFull, CodeAlreadyQueued, CodeUnknownMode, CodeInvalidTicket, CodeTicketNotFound,
		CodeTicketConflict, CodeOracleNotFound, CodeInvalidOracle, CodeRosterFull, CodeMatchNotFound, CodeReplayNotFound, CodeBadHeartbeat, CodeUnavailable, CodeInternal,
		CodeOriginNotAllowed, CodeModeDisabled}
	slices.Sort(enum)
	slices.Sort(codes)
	if !slices.Equal(enum, codes) {
		t.Fatalf("error codes in openapi.json %v, in code %v", enum, codes)
	}
}
