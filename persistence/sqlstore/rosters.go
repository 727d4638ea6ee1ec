package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/persistence"
)

// Oracles lists a player's oracles ordered by ID (empty for an unknown player).
func (s *sqlStore) Oracles(ctx context.Context, playerID string) ([]contract.Oracle, error) {
	var out []contract.Oracle
	err := s.b.read(ctx, func(tx dbtx) error {
		out = out[:0]
		rs, err := tx.query(ctx, `SELECT id, player_id, name, archetype, role, loadout, pet, form, totem, updated_at
			FROM oracles WHERE player_id = $1 ORDER BY id`, playerID)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var o contract.Oracle
			var loadout string
			if err := rs.Scan(&o.ID, &o.PlayerID, &o.Name, &o.Archetype, &o.Role, &loadout, &o.Pet, &o.Form, &o.Totem, &o.UpdatedAt); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(loadout), &o.Loadout); err != nil {
				return fmt.Errorf("oracle %s: loadout: %w", o.ID, err)
			}
			out = append(out, o)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("oracles of player %s: %w", playerID, err)
	}
	return out, nil
}

// SaveOracle inserts or updates an oracle owned by o.PlayerID. UpdatedAt is
// set to the store's clock when zero. ErrNotFound when the player does not
// exist; ErrInvalid for an empty id or an unknown role.
func (s *sqlStore) SaveOracle(ctx context.Context, o contract.Oracle) error {
	if o.ID == "" || o.PlayerID == "" {
		return invalid("save oracle: empty id or player")
	}
	switch o.Role {
	case contract.RoleHost, contract.RoleFriend, contract.RoleDescendant:
	default:
		return invalid("save oracle %s: unknown role %q", o.ID, o.Role)
	}
	loadout := o.Loadout
	if loadout == nil {
		loadout = []string{}
	}
	enc, err := json.Marshal(loadout)
	if err != nil {
		return fmt.Errorf("save oracle %s: %w", o.ID, err)
	}
	err = s.b.write(ctx, func(tx dbtx) error {
		_, err := tx.exec(ctx, `INSERT INTO oracles (player_id, id, name, archetype, role, loadout, pet, form, totem, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			ON CONFLICT (player_id, id) DO UPDATE SET name = excluded.name, archetype = excluded.archetype,
				role = excluded.role, loadout = excluded.loadout, pet = excluded.pet, form = excluded.form,
				totem = excluded.totem, updated_at = excluded.updated_at`,
			o.PlayerID, o.ID, o.Name, o.Archetype, o.Role, string(enc), o.Pet, o.Form, o.Totem, s.at(o.UpdatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("save oracle %s of player %s: %w", o.ID, o.PlayerID, err)
	}
	return nil
}

// DeleteOracle removes one oracle; ErrNotFound when the player has no such oracle.
func (s *sqlStore) DeleteOracle(ctx context.Context, playerID, oracleID string) error {
	err := s.b.write(ctx, func(tx dbtx) error {
		n, err := tx.exec(ctx, `DELETE FROM oracles WHERE player_id = $1 AND id = $2`, playerID, oracleID)
		if err == nil && n == 0 {
			return persistence.ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("delete oracle %s of player %s: %w", oracleID, playerID, err)
	}
	return nil
}
