package lobby

import (
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/internal/testsvc"
	"github.com/pantheon-oracles/pantheon/internal/testwait"
	"github.com/pantheon-oracles/pantheon/lobby/internal/fakedb"
	"github.com/pantheon-oracles/pantheon/lobby/store/storetest"
)

// putFlag sets a flag through the admin endpoint as actor.
func putFlag(t *testing.T, admin, def string) response {
	t.Helper()
	return doReq(t, admin, "PUT", "/admin/v1/flags/mode.battle_1v1", testFleet, def, "X-Pantheon-Actor", "ops-alice")
}

// TestFlagGatesModeAndAudits: mode.battle_1v1 off for the caller's
// platform refuses new tickets with mode_disabled, on for another platform
// queues; GET /v1/flags answers per caller; the audit names who changed
// what; an already queued ticket is untouched.
func TestFlagGatesModeAndAudits(t *testing.T) {
	h := newHarness(t, nil, nil)
	admin := startAdmin(t, h.l)
	a := h.guest("device-flag-00000001")
	h.oracle(a.AccessToken, "host1", contract.RoleHost)
	queued := h.queue(a.AccessToken, "battle_1v1", "host1")

	r := putFlag(t, admin, `{"type":"boolean","default":true,"rules":[{"platforms":["ios"],"value":false}]}`)
	expect(t, "put flag", r, 200, "")
	expect(t, "bad flag", doReq(t, admin, "PUT", "/admin/v1/flags/x", testFleet, `{"type":"boolean","default":3}`), 400, CodeInvalidFlag)
	expect(t, "no secret", doReq(t, admin, "PUT", "/admin/v1/flags/x", "", `{}`), 401, "")

	b := h.guest("device-flag-00000002")
	h.oracle(b.AccessToken, "host1", contract.RoleHost)
	r = h.do("POST", "/v1/tickets", b.AccessToken, ticketRequest{Mode: "battle_1v1", OracleID: "host1"}, HeaderPlatform, "ios")
	expect(t, "gated ticket", r, 403, CodeModeDisabled)
	r = h.do("GET", "/v1/flags", b.AccessToken, nil, HeaderPlatform, "ios")
	expect(t, "flags", r, 200, "")
	var fl struct{ Flags map[string]any }
	r.decode(t, &fl)
	if fl.Flags["mode.battle_1v1"] != false {
		t.Fatalf("flags for ios: %s", r.body)
	}
	r = h.do("POST", "/v1/tickets", b.AccessToken, ticketRequest{Mode: "battle_1v1", OracleID: "host1"}, HeaderPlatform, "pc")
	expect(t, "ungated ticket", r, 201, "")
	if got := h.do("GET", "/v1/tickets/"+queued.ID, a.AccessToken, nil, HeaderPlatform, "ios"); got.status != 200 {
		t.Fatalf("queued ticket: %d %s", got.status, got.body)
	}

	expect(t, "delete", doReq(t, admin, "DELETE", "/admin/v1/flags/mode.battle_1v1", testFleet, nil, "X-Pantheon-Actor", "ops-bob"), 204, "")
	r = doReq(t, admin, "GET", "/admin/v1/flag-audit", testFleet, nil)
	expect(t, "audit", r, 200, "")
	var au struct{ Audit []flagAuditView }
	r.decode(t, &au)
	if len(au.Audit) != 2 || au.Audit[0].Actor != "ops-bob" || string(au.Audit[0].New) != "null" ||
		au.Audit[1].Actor != "ops-alice" || string(au.Audit[1].Old) != "null" || au.Audit[1].Key != "mode.battle_1v1" || au.Audit[1].At.IsZero() {
		t.Fatalf("audit: %s", r.body)
	}
}

// TestFlagReachesTwoReplicasOnRedis: a flag set on replica A is seen by
// replica B within 2 s, through Redis pub/sub (the periodic reload is
// 10 s, so it cannot be what delivers it).
func TestFlagReachesTwoReplicasOnRedis(t *testing.T) {
	url := testsvc.Redis(t)
	prefix := storetest.RedisPrefix(t, url)
	db := fakedb.New()
	la, urlA := replica(t, redisStore(t, url, prefix), db, nil)
	_, urlB := replica(t, redisStore(t, url, prefix), db, nil)
	adminA := startAdmin(t, la)
	var tok tokenResponse
	r := doReq(t, urlB, "POST", "/v1/auth/guest", "", guestRequest{DeviceID: "device-flag-00000003"})
	expect(t, "guest", r, 200, "")
	r.decode(t, &tok)
	expect(t, "A answers", doReq(t, urlA, "GET", "/v1/health", "", nil), 200, "")
	for i, def := range []string{
		`{"type":"variant","variants":["a","b"],"default":"a"}`,
		`{"type":"variant","variants":["a","b"],"default":"b"}`,
	} {
		want := []string{"a", "b"}[i]
		expect(t, "put", doReq(t, adminA, "PUT", "/admin/v1/flags/theme", testFleet, def), 200, "")
		testwait.For(t, 2*time.Second, 10*time.Millisecond, "flag change on replica B", func() bool {
			var fl struct{ Flags map[string]any }
			r := doReq(t, urlB, "GET", "/v1/flags", tok.AccessToken, nil)
			r.decode(t, &fl)
			return fl.Flags["theme"] == want
		}, nil)
	}
}
