package lobby

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/lobby/internal/fakedb"
	"github.com/pantheon-oracles/pantheon/lobby/match"
	"github.com/pantheon-oracles/pantheon/lobby/store"
)

// TestModesServedFromContent: GET /v1/modes lists the content's modes with
// the lobby's policies, the same bytes as when the lobby held its own copy
// of the modes.
func TestModesServedFromContent(t *testing.T) {
	h := newHarness(t, nil, nil)
	r := h.do("GET", "/v1/modes", "", nil)
	expect(t, "modes", r, 200, "")
	var body struct {
		Modes json.RawMessage `json:"modes"`
	}
	r.decode(t, &body)
	want := `[{"id":"battle_1v1","teams":2,"team_size":1,"min_players":2,"max_party":1,"hosts_per_team":1,"fill_wait_ms":0},` +
		`{"id":"battle_3v3","teams":2,"team_size":3,"min_players":6,"max_party":3,"hosts_per_team":1,"fill_wait_ms":0},` +
		`{"id":"battle_5v5","teams":2,"team_size":5,"min_players":10,"max_party":5,"hosts_per_team":1,"fill_wait_ms":0},` +
		`{"id":"raid","teams":1,"team_size":40,"min_players":8,"max_party":10,"hosts_per_team":1,"fill_wait_ms":30000},` +
		`{"id":"ritual","teams":1,"team_size":6,"min_players":2,"max_party":6,"hosts_per_team":1,"fill_wait_ms":10000}]`
	if string(body.Modes) != want {
		t.Fatalf("modes\n%s\nwant\n%s", body.Modes, want)
	}
}

// TestContentModeWithoutPolicy: a mode the content adds is queued at once,
// under match.DefaultModePolicy, and its queue works like any other.
func TestContentModeWithoutPolicy(t *testing.T) {
	trial := content.ModeDef{ID: "trial", Name: "Trial", Kind: "ritual", MinPlayers: 3, MaxPlayers: 12}
	h := newHarness(t, nil, func(_ *Config, d *Deps) { d.Modes = append(testModes(), trial) })
	var body struct {
		Modes []match.Mode `json:"modes"`
	}
	h.do("GET", "/v1/modes", "", nil).decode(t, &body)
	last := body.Modes[len(body.Modes)-1]
	if want := (match.Mode{ID: "trial", Teams: 1, TeamSize: 12, MinPlayers: 3, MaxParty: 12, HostsPerTeam: 1, FillWait: match.DefaultFillWait}); len(body.Modes) != 6 || last != want {
		t.Fatalf("modes %+v, want the content's five and %+v", body.Modes, want)
	}
	if _, err := h.l.Pass(t.Context(), "trial"); err != nil {
		t.Fatalf("pass of the new mode: %v", err)
	}
	if _, err := h.l.Pass(t.Context(), "battle_9v9"); !errors.Is(err, match.ErrUnknownMode) {
		t.Fatalf("pass of a mode the content lacks: %v", err)
	}
}

// TestModePolicyWithoutContentMode: a policy for a mode the content does
// not define stops the lobby at start-up, naming the mode and the modes
// the content has; so does a lobby given no content modes.
func TestModePolicyWithoutContentMode(t *testing.T) {
	db := fakedb.New()
	deps := func(modes []content.ModeDef) Deps {
		return Deps{Store: store.NewMemory(store.MemoryConfig{}), Accounts: db, Refresh: db, Rosters: db, Ratings: db, Modes: modes}
	}
	cfg := testConfig()
	cfg.ModePolicies = match.DefaultModePolicies()
	cfg.ModePolicies["battle_9v9"] = match.ModePolicy{MaxParty: 9}
	_, err := New(cfg, deps(testModes()))
	if !errors.Is(err, match.ErrModePolicy) {
		t.Fatalf("New with a policy for battle_9v9: %v, want ErrModePolicy", err)
	}
	for _, s := range []string{"lobby: modes from content", "battle_9v9", "does not define", "battle_1v1, battle_3v3, battle_5v5, raid, ritual"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
	// Content without the raid: a configured raid policy is refused, while
	// the default table (which the operator did not write) applies to the
	// modes the content has and the lobby runs without a raid queue.
	var noRaid []content.ModeDef
	for _, m := range testModes() {
		if m.ID != match.Raid {
			noRaid = append(noRaid, m)
		}
	}
	cfg = testConfig()
	cfg.ModePolicies = match.DefaultModePolicies()
	if _, err := New(cfg, deps(noRaid)); !errors.Is(err, match.ErrModePolicy) || !strings.Contains(err.Error(), "raid") {
		t.Fatalf("New with a raid policy on content without the raid: %v", err)
	}
	h := newHarness(t, nil, func(_ *Config, d *Deps) { d.Modes = noRaid })
	if _, err := h.l.Pass(t.Context(), match.Raid); !errors.Is(err, match.ErrUnknownMode) {
		t.Errorf("pass of the raid on content without it: %v, want ErrUnknownMode", err)
	}
	if _, err := h.l.Pass(t.Context(), "ritual"); err != nil {
		t.Errorf("pass of the ritual: %v", err)
	}
	if _, err := New(testConfig(), deps(nil)); !errors.Is(err, match.ErrModePolicy) || !strings.Contains(err.Error(), "no modes") {
		t.Fatalf("New without content modes: %v", err)
	}
}
