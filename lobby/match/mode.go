package match

import (
	"fmt"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
)

// Mode ids the lobby queues.
const (
	Battle1v1 = "battle_1v1"
	Battle3v3 = "battle_3v3"
	Battle5v5 = "battle_5v5"
	Raid      = "raid"
	Ritual    = "ritual"
)

// Mode is one queue's composition rules.
type Mode struct {
	// ID is the mode id (Battle1v1, ...).
	ID string `json:"id"`
	// Teams is the number of opposing teams: 2 for battles, 1 for the
	// cooperative modes.
	Teams int `json:"teams"`
	// TeamSize is the number of players per team. For one-team modes it is
	// the most players a match takes.
	TeamSize int `json:"team_size"`
	// MinPlayers is the fewest players a one-team match starts with once the
	// anchor has waited FillWait; for battles it equals Teams*TeamSize.
	MinPlayers int `json:"min_players"`
	// MaxParty is the largest party a ticket may carry.
	MaxParty int `json:"max_party"`
	// HostsPerTeam is how many Host oracles each team must hold.
	HostsPerTeam int `json:"hosts_per_team"`
	// FillWait: a one-team match with at least MinPlayers but fewer than
	// TeamSize forms once its anchor has waited this long. Zero for battles.
	FillWait time.Duration `json:"fill_wait_ns"`
}

// Players is the number of players in a full match.
func (m Mode) Players() int { return m.Teams * m.TeamSize }

// Modes returns the queues the lobby runs, in a stable order.
func Modes() []Mode {
	return []Mode{
		{ID: Battle1v1, Teams: 2, TeamSize: 1, MinPlayers: 2, MaxParty: 1, HostsPerTeam: 1},
		{ID: Battle3v3, Teams: 2, TeamSize: 3, MinPlayers: 6, MaxParty: 3, HostsPerTeam: 1},
		{ID: Battle5v5, Teams: 2, TeamSize: 5, MinPlayers: 10, MaxParty: 5, HostsPerTeam: 1},
		{ID: Raid, Teams: 1, TeamSize: 40, MinPlayers: 8, MaxParty: 10, HostsPerTeam: 1, FillWait: 30 * time.Second},
		{ID: Ritual, Teams: 1, TeamSize: 6, MinPlayers: 2, MaxParty: 6, HostsPerTeam: 1, FillWait: 10 * time.Second},
	}
}

// LookupMode returns the mode with the given id, or ErrUnknownMode.
func LookupMode(id string) (Mode, error) {
	for _, m := range Modes() {
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
