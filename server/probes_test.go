package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// TestProbes: /livez is 200 throughout; /readyz is 200 while the server
// takes rooms and 503 {"status":"not_ready","reasons":["draining"]} once it
// drains (the state Shutdown sets), when /healthz turns 503 as before; the
// probes need no secret. /metrics carries pantheon_build_info = 1.
func TestProbes(t *testing.T) {
	h := startHarness(t, testConfig(), scriptFactory(30, 0))
	admin := h.srv.AdminHandler()
	get := func(path, secret string) (int, probeBody, string) {
		req := httptest.NewRequest("GET", path, nil)
		if secret != "" {
			req.Header.Set("Authorization", "Bearer "+secret)
		}
		rec := httptest.NewRecorder()
		admin.ServeHTTP(rec, req)
		var b probeBody
		_ = json.Unmarshal(rec.Body.Bytes(), &b)
		return rec.Code, b, rec.Body.String()
	}
	check := func(when, path string, code int, status string, reasons ...string) {
		t.Helper()
		got, b, raw := get(path, "")
		if got != code || b.Status != status || !slices.Equal(b.Reasons, reasons) {
			t.Errorf("%s: GET %s = %d %s, want %d status %q reasons %v", when, path, got, raw, code, status, reasons)
		}
	}
	check("serving", "/livez", http.StatusOK, "alive")
	check("serving", "/readyz", http.StatusOK, "ready")
	if code, _, _ := get("/healthz", ""); code != http.StatusNoContent {
		t.Errorf("serving: /healthz %d", code)
	}
	_, _, metrics := get("/metrics", testFleetSecret)
	if !strings.Contains(metrics, "pantheon_build_info{commit=") || !strings.Contains(metrics, `goversion="go`) {
		t.Errorf("/metrics has no pantheon_build_info:\n%.2000s", metrics)
	}

	h.srv.reg.setDraining()
	check("draining", "/livez", http.StatusOK, "alive")
	check("draining", "/readyz", http.StatusServiceUnavailable, "not_ready", notReadyDraining)
	if code, _, _ := get("/healthz", ""); code != http.StatusServiceUnavailable {
		t.Errorf("draining: /healthz %d, want 503", code)
	}
}
