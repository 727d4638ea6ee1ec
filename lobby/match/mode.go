package match

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs/content"
)

// Mode ids of the content's modes that DefaultModePolicies sets a policy
// for (ecs/content/modes.json defines the modes themselves).
const (
	Battle1v1 = "battle_1v1"
	Battle3v3 = "battle_3v3"
	Battle5v5 = "battle_5v5"
	Raid      = "raid"
	Ritual    = "ritual"
)

// Mode is one queue's composition rules: the teams and team size the
// content states for the mode (NewModes derives them), and the lobby's own
// ModePolicy for its queue.
type Mode struct {
	// ID is the content's mode id (Battle1v1, ...).
	ID string `json:"id"`
	// Teams is the number of opposing teams: the content's teams for
	// battles (2), 1 for the cooperative modes.
	Teams int `json:"teams"`
	// TeamSize is the number of players per team: the content's team_size
	// for battles; for one-team modes the content's max_players, the most
	// players a match takes.
	TeamSize int `json:"team_size"`
	// MinPlayers is the fewest players a one-team match starts with once the
	// anchor has waited FillWait (ModePolicy.MinPlayers); for battles it
	// equals Teams*TeamSize.
	MinPlayers int `json:"min_players"`
	// MaxParty is the largest party a ticket may carry (ModePolicy).
	MaxParty int `json:"max_party"`
	// HostsPerTeam is how many Host oracles each team must hold (ModePolicy).
	HostsPerTeam int `json:"hosts_per_team"`
	// FillWait: a one-team match with at least MinPlayers but fewer than
	// TeamSize forms once its anchor has waited this long (ModePolicy).
	// Zero for battles. JSON carries it as fill_wait_ms, whole milliseconds
	// (the unit events use for waits).
	FillWait time.Duration `json:"-"`
}

// modeJSON is Mode on the wire: FillWait as integer milliseconds.
type modeJSON struct {
	ID           string `json:"id"`
	Teams        int    `json:"teams"`
	TeamSize     int    `json:"team_size"`
	MinPlayers   int    `json:"min_players"`
	MaxParty     int    `json:"max_party"`
	HostsPerTeam int    `json:"hosts_per_team"`
	FillWaitMS   int64  `json:"fill_wait_ms"`
}

// MarshalJSON writes the mode with FillWait as fill_wait_ms.
func (m Mode) MarshalJSON() ([]byte, error) {
	return json.Marshal(modeJSON{m.ID, m.Teams, m.TeamSize, m.MinPlayers, m.MaxParty, m.HostsPerTeam, m.FillWait.Milliseconds()})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (m *Mode) UnmarshalJSON(b []byte) error {
	var j modeJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*m = Mode{j.ID, j.Teams, j.TeamSize, j.MinPlayers, j.MaxParty, j.HostsPerTeam, time.Duration(j.FillWaitMS) * time.Millisecond}
	return nil
}

// Players is the number of players in a full match.
func (m Mode) Players() int { return m.Teams * m.TeamSize }

// ModePolicy is the lobby's own rules for one mode's queue, what the
// content does not say. A zero field takes the field's value in
// DefaultModePolicy.
type ModePolicy struct {
	// MaxParty is the largest party a ticket may carry, 1..TeamSize.
	MaxParty int `json:"max_party"`
	// HostsPerTeam is how many Host oracles each team must hold,
	// 1..TeamSize.
	HostsPerTeam int `json:"hosts_per_team"`
	// MinPlayers is the fewest players a one-team match starts with after
	// FillWait, within the content's min_players..max_players. Battles
	// always fill every seat: set it only to Teams*TeamSize, or leave it 0.
	MinPlayers int `json:"min_players"`
	// FillWait is how long a one-team match's anchor waits for a full
	// match before one of MinPlayers forms. Battles take none: leave it 0.
	FillWait time.Duration `json:"-"`
}

// DefaultFillWait is the FillWait of a one-team mode without one in its
// policy.
const DefaultFillWait = 30 * time.Second

// DefaultModePolicies returns the policies the lobby runs with unless
// configured otherwise, keyed by mode id.
func DefaultModePolicies() map[string]ModePolicy {
	return map[string]ModePolicy{
		Battle1v1: {MaxParty: 1, HostsPerTeam: 1},
		Battle3v3: {MaxParty: 3, HostsPerTeam: 1},
		Battle5v5: {MaxParty: 5, HostsPerTeam: 1},
		Raid:      {MaxParty: 10, HostsPerTeam: 1, MinPlayers: 8, FillWait: 30 * time.Second},
		Ritual:    {MaxParty: 6, HostsPerTeam: 1, MinPlayers: 2, FillWait: 10 * time.Second},
	}
}

// DefaultModePolicy is the policy of a content mode that has none, and
// fills the zero fields of one that has: parties as large as a team, one
// Host per team, and for one-team modes the content's min_players after
// DefaultFillWait (battles fill every seat and never wait to start short).
func DefaultModePolicy(def content.ModeDef) ModePolicy {
	m := contentMode(def)
	p := ModePolicy{MaxParty: m.TeamSize, HostsPerTeam: 1, MinPlayers: m.Players()}
	if m.Teams == 1 {
		p.MinPlayers, p.FillWait = int(def.MinPlayers), DefaultFillWait
	}
	return p
}

// contentMode is what the content says of def's queue: its teams and team
// size (only battles have teams; a one-team mode's team is max_players).
func contentMode(def content.ModeDef) Mode {
	if def.Teams > 0 {
		return Mode{ID: def.ID, Teams: int(def.Teams), TeamSize: int(def.TeamSize)}
	}
	return Mode{ID: def.ID, Teams: 1, TeamSize: int(def.MaxPlayers)}
}

// Modes is the set of queues a lobby runs: one per content mode, in the
// content's order. Build it with NewModes; the zero Modes has none.
type Modes struct {
	list []Mode
}

// NewModes derives the queues from the content's modes (content.Bundle.Modes)
// and the lobby's policies keyed by mode id. A content mode without a
// policy gets DefaultModePolicy. A policy naming a mode the content lacks,
// or one the mode cannot run with (a party larger than a team, a one-team
// minimum outside the content's player bounds, a battle that would start
// short or wait to fill), is an error wrapping ErrModePolicy.
func NewModes(defs []content.ModeDef, policies map[string]ModePolicy) (Modes, error) {
	if len(defs) == 0 {
		return Modes{}, fmt.Errorf("%w: the content has no modes", ErrModePolicy)
	}
	known := make(map[string]content.ModeDef, len(defs))
	ids := make([]string, 0, len(defs))
	for _, def := range defs {
		known[def.ID] = def
		ids = append(ids, def.ID)
	}
	var unknown []string
	for id := range policies {
		if _, ok := known[id]; !ok {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return Modes{}, fmt.Errorf("%w: policy for %s, which the defs does not define (defs modes: %s)",
			ErrModePolicy, strings.Join(unknown, ", "), strings.Join(ids, ", "))
	}
	var out Modes
	for _, def := range defs {
		m, err := deriveMode(def, policies[def.ID])
		if err != nil {
			return Modes{}, err
		}
		out.list = append(out.list, m)
	}
	return out, nil
}

// deriveMode is def's queue under policy p (zero fields defaulted).
func deriveMode(def content.ModeDef, p ModePolicy) (Mode, error) {
	d := DefaultModePolicy(def)
	p.MaxParty = cmp.Or(p.MaxParty, d.MaxParty)
	p.HostsPerTeam = cmp.Or(p.HostsPerTeam, d.HostsPerTeam)
	p.MinPlayers = cmp.Or(p.MinPlayers, d.MinPlayers)
	if p.FillWait == 0 {
		p.FillWait = d.FillWait
	}
	m := contentMode(def)
	m.MaxParty, m.HostsPerTeam, m.MinPlayers, m.FillWait = p.MaxParty, p.HostsPerTeam, p.MinPlayers, p.FillWait
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: mode %s: %s", ErrModePolicy, def.ID, fmt.Sprintf(format, a...))
	}
	switch {
	case m.TeamSize < 1:
		return Mode{}, bad("the content gives it no seats")
	case m.MaxParty < 1 || m.MaxParty > m.TeamSize:
		return Mode{}, bad("max_party %d, need 1..%d (the team size)", m.MaxParty, m.TeamSize)
	case m.HostsPerTeam < 1 || m.HostsPerTeam > m.TeamSize:
		return Mode{}, bad("hosts_per_team %d, need 1..%d (the team size)", m.HostsPerTeam, m.TeamSize)
	case p.FillWait < 0:
		return Mode{}, bad("negative fill_wait")
	case m.Teams > 1 && (m.MinPlayers != m.Players() || m.FillWait != 0):
		return Mode{}, bad("a battle fills all %d seats: min_players must be 0 or %d and fill_wait 0", m.Players(), m.Players())
	case m.Teams == 1 && (m.MinPlayers < int(def.MinPlayers) || m.MinPlayers > m.TeamSize):
		return Mode{}, bad("min_players %d outside the content's %d..%d", m.MinPlayers, def.MinPlayers, m.TeamSize)
	}
	return m, nil
}

// All returns the queues in the content's order.
func (ms Modes) All() []Mode { return slices.Clone(ms.list) }

// Lookup returns the mode with the given id, or ErrUnknownMode.
func (ms Modes) Lookup(id string) (Mode, error) {
	for _, m := range ms.list {
		if m.ID == id {
			return m, nil
		}
	}
	return Mode{}, fmt.Errorf("mode %q: %w", id, ErrUnknownMode)
}

// QueueableRole reports whether an oracle of this roster role may be queued.
// Descendants are summoned minors and never enter a queue themselves.
func QueueableRole(role string) bool {
	return role == contract.RoleHost || role == contract.RoleFriend
}

// CheckTicket reports whether t may enter m's queue: the right mode, a party
// of 1..MaxParty distinct players, each bringing a queueable oracle, and a
// ticket that fills a whole team brings the Hosts the team needs (a Friend
// alone cannot queue for 1v1).
func (m Mode) CheckTicket(t Ticket) error {
	if t.Mode != m.ID {
		return fmt.Errorf("ticket %s: mode %q in queue %q: %w", t.ID, t.Mode, m.ID, ErrBadTicket)
	}
	if len(t.Members) == 0 || len(t.Members) > m.MaxParty {
		return fmt.Errorf("ticket %s: party of %d, mode %s allows 1..%d: %w", t.ID, len(t.Members), m.ID, m.MaxParty, ErrPartySize)
	}
	seen := make(map[string]bool, len(t.Members))
	for _, p := range t.Members {
		if p.PlayerID == "" || seen[p.PlayerID] {
			return fmt.Errorf("ticket %s: empty or repeated player %q: %w", t.ID, p.PlayerID, ErrBadTicket)
		}
		seen[p.PlayerID] = true
		if !QueueableRole(p.Oracle.Role) {
			return fmt.Errorf("ticket %s: player %s brings a %q oracle: %w", t.ID, p.PlayerID, p.Oracle.Role, ErrRole)
		}
	}
	if len(t.Members) == m.TeamSize && t.Hosts() < m.HostsPerTeam {
		return fmt.Errorf("ticket %s: fills a %s team without the %d Host oracle(s) it needs: %w", t.ID, m.ID, m.HostsPerTeam, ErrRole)
	}
	return nil
}
