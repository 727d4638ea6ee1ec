package contract

import (
	"time"

	"github.com/pantheon-oracles/pantheon/ecs"
)

// Roster roles: what part an oracle plays in a player's roster.
const (
	RoleHost       = "host"
	RoleFriend     = "friend"
	RoleDescendant = "descendant"
)

// Oracle is one oracle a player owns. Its content fields (archetype, role,
// loadout, pet, form, totem) are the ecs.OracleSpec the simulation plays;
// the lobby validates them against the content before saving. The JSON
// form is the lobby API's oracle body.
type Oracle struct {
	ID       string `json:"id,omitempty"`
	PlayerID string `json:"-"`
	Name     string `json:"name"`
	ecs.OracleSpec
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}
