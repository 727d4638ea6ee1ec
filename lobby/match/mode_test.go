package match

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/ecs/content"
)

// contentModes is the queues of the shipped content under the default
// policies.
var contentModes = sync.OnceValue(func() Modes {
	c, err := content.Load()
	if err != nil {
		panic(err)
	}
	ms, err := NewModes(c.Modes(), DefaultModePolicies())
	if err != nil {
		panic(err)
	}
	return ms
})

// TestModesFromContent: the queues are the content's modes, in its order,
// with the content's teams and team sizes and the lobby's policy on top.
func TestModesFromContent(t *testing.T) {
	c, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	ms := contentModes().All()
	defs := c.Modes()
	if len(ms) != len(defs) {
		t.Fatalf("%d queues for %d content modes", len(ms), len(defs))
	}
	for i, def := range defs {
		m := ms[i]
		if m.ID != def.ID {
			t.Fatalf("queue %d is %s, content mode %d is %s", i, m.ID, i, def.ID)
		}
		if def.Teams > 0 {
			if m.Teams != int(def.Teams) || m.TeamSize != int(def.TeamSize) || m.MinPlayers != m.Players() || m.FillWait != 0 {
				t.Errorf("%s: %d teams of %d (min %d, wait %v), content says %d of %d", m.ID, m.Teams, m.TeamSize, m.MinPlayers, m.FillWait, def.Teams, def.TeamSize)
			}
		} else if m.Teams != 1 || m.TeamSize != int(def.MaxPlayers) || m.MinPlayers < int(def.MinPlayers) || m.MinPlayers > m.TeamSize {
			t.Errorf("%s: %d..%d players in %d team(s), content allows %d..%d", m.ID, m.MinPlayers, m.TeamSize, m.Teams, def.MinPlayers, def.MaxPlayers)
		}
	}
	// The lobby-only policy is applied as written.
	raid, err := contentModes().Lookup(Raid)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Mode{ID: Raid, Teams: 1, TeamSize: 40, MinPlayers: 8, MaxParty: 10, HostsPerTeam: 1, FillWait: 30 * time.Second}); raid != want {
		t.Errorf("raid queue %+v, want %+v", raid, want)
	}
	duel, _ := contentModes().Lookup(Battle1v1)
	if want := (Mode{ID: Battle1v1, Teams: 2, TeamSize: 1, MinPlayers: 2, MaxParty: 1, HostsPerTeam: 1}); duel != want {
		t.Errorf("duel queue %+v, want %+v", duel, want)
	}
	if _, err := contentModes().Lookup("nope"); !errors.Is(err, ErrUnknownMode) {
		t.Errorf("unknown mode: %v", err)
	}
}

// TestModesFollowContent: a change to the content's modes changes the
// queues without a change to the lobby; a content mode with no policy gets
// DefaultModePolicy.
func TestModesFollowContent(t *testing.T) {
	defs := []content.ModeDef{
		{ID: "battle_2v2", Kind: "battle", Teams: 2, TeamSize: 2},
		{ID: "trial", Kind: "ritual", MinPlayers: 3, MaxPlayers: 12},
		{ID: Battle1v1, Kind: "battle", Teams: 2, TeamSize: 4}, // the content made the duel bigger
	}
	ms, err := NewModes(defs, map[string]ModePolicy{Battle1v1: {MaxParty: 2}})
	if err != nil {
		t.Fatal(err)
	}
	want := []Mode{
		{ID: "battle_2v2", Teams: 2, TeamSize: 2, MinPlayers: 4, MaxParty: 2, HostsPerTeam: 1},
		{ID: "trial", Teams: 1, TeamSize: 12, MinPlayers: 3, MaxParty: 12, HostsPerTeam: 1, FillWait: DefaultFillWait},
		{ID: Battle1v1, Teams: 2, TeamSize: 4, MinPlayers: 8, MaxParty: 2, HostsPerTeam: 1},
	}
	got := ms.All()
	if len(got) != len(want) {
		t.Fatalf("queues %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("queue %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if p := DefaultModePolicy(defs[1]); p != (ModePolicy{MaxParty: 12, HostsPerTeam: 1, MinPlayers: 3, FillWait: DefaultFillWait}) {
		t.Errorf("default policy of a one-team mode: %+v", p)
	}
}

// TestModePolicyErrors: a policy for a mode the content lacks, or one the
// content's mode cannot run with, stops start-up with a message that names
// the mode.
func TestModePolicyErrors(t *testing.T) {
	c, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		policies map[string]ModePolicy
		says     []string
	}{
		"unknown mode":         {map[string]ModePolicy{"battle_2v2": {MaxParty: 2}}, []string{"battle_2v2", "does not define", "battle_1v1, battle_3v3"}},
		"party over team":      {map[string]ModePolicy{Battle3v3: {MaxParty: 4}}, []string{"battle_3v3", "max_party 4", "1..3"}},
		"negative party":       {map[string]ModePolicy{Ritual: {MaxParty: -1}}, []string{"ritual", "max_party -1"}},
		"hosts over team":      {map[string]ModePolicy{Battle1v1: {HostsPerTeam: 2}}, []string{"battle_1v1", "hosts_per_team 2"}},
		"short battle":         {map[string]ModePolicy{Battle5v5: {MinPlayers: 6}}, []string{"battle_5v5", "fills all 10 seats"}},
		"battle fill wait":     {map[string]ModePolicy{Battle1v1: {FillWait: time.Second}}, []string{"battle_1v1", "fill_wait 0"}},
		"raid above content":   {map[string]ModePolicy{Raid: {MinPlayers: 41}}, []string{"raid", "min_players 41", "1..40"}},
		"ritual below content": {map[string]ModePolicy{Ritual: {MinPlayers: 1}}, []string{"ritual", "min_players 1", "2..6"}},
		"negative fill wait":   {map[string]ModePolicy{Raid: {FillWait: -time.Second}}, []string{"raid", "negative fill_wait"}},
	} {
		_, err := NewModes(c.Modes(), tc.policies)
		if !errors.Is(err, ErrModePolicy) {
			t.Errorf("%s: %v, want ErrModePolicy", name, err)
			continue
		}
		for _, s := range tc.says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: %q does not say %q", name, err, s)
			}
		}
	}
	if _, err := NewModes(nil, nil); !errors.Is(err, ErrModePolicy) {
		t.Errorf("no content modes: %v", err)
	}
}
