package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/pantheon-oracles/pantheon/persistence"
)

// LoginIdentity returns the player linked to (provider, subject), creating
// the player and the link when none exists. Concurrent first logins of the
// same identity create exactly one player.
func (s *sqlStore) LoginIdentity(ctx context.Context, provider, subject, displayName string) (persistence.Player, bool, error) {
	if provider == "" || subject == "" {
		return persistence.Player{}, false, invalid("login: empty provider or subject")
	}
	var p persistence.Player
	var created bool
	err := s.b.write(ctx, func(tx dbtx) error {
		created = false
		err := tx.queryRow(ctx, `SELECT p.id, p.display_name, p.created_at FROM identities i
			JOIN players p ON p.id = i.player_id WHERE i.provider = $1 AND i.subject = $2`,
			provider, subject).Scan(&p.ID, &p.DisplayName, &p.CreatedAt)
		if err == nil {
			return nil
		}
		if !errors.Is(err, errNoRows) {
			return err
		}
		now := s.clock()
		p = persistence.Player{ID: newID("p_"), DisplayName: displayName, CreatedAt: now}
		if _, err := tx.exec(ctx, `INSERT INTO players (id, display_name, created_at) VALUES ($1, $2, $3)`,
			p.ID, p.DisplayName, p.CreatedAt); err != nil {
			return err
		}
		// A concurrent login may have linked the identity since the SELECT:
		// ON CONFLICT waits for it and then does nothing, and we use its player.
		var linked string
		err = tx.queryRow(ctx, `INSERT INTO identities (provider, subject, player_id, linked_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (provider, subject) DO NOTHING RETURNING player_id`, provider, subject, p.ID, now).Scan(&linked)
		if err == nil {
			created = true
			return nil
		}
		if !errors.Is(err, errNoRows) {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM players WHERE id = $1`, p.ID); err != nil {
			return err
		}
		return tx.queryRow(ctx, `SELECT p.id, p.display_name, p.created_at FROM identities i
			JOIN players p ON p.id = i.player_id WHERE i.provider = $1 AND i.subject = $2`,
			provider, subject).Scan(&p.ID, &p.DisplayName, &p.CreatedAt)
	})
	if err != nil {
		return persistence.Player{}, false, fmt.Errorf("login %s identity: %w", provider, err)
	}
	return p, created, nil
}

// LinkIdentity links (provider, subject) to playerID; a no-op when already
// linked to it, ErrIdentityTaken when linked to another player, ErrNotFound
// when the player does not exist.
func (s *sqlStore) LinkIdentity(ctx context.Context, playerID, provider, subject string) error {
	if playerID == "" || provider == "" || subject == "" {
		return invalid("link: empty player, provider or subject")
	}
	err := s.b.write(ctx, func(tx dbtx) error {
		if _, err := tx.exec(ctx, `INSERT INTO identities (provider, subject, player_id, linked_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (provider, subject) DO NOTHING`, provider, subject, playerID, s.clock()); err != nil {
			return err
		}
		var owner string
		if err := tx.queryRow(ctx, `SELECT player_id FROM identities WHERE provider = $1 AND subject = $2`,
			provider, subject).Scan(&owner); err != nil {
			return err
		}
		if owner != playerID {
			return persistence.ErrIdentityTaken
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("link %s identity to player %s: %w", provider, playerID, err)
	}
	return nil
}

// Identities lists a player's identities, oldest first (empty for an
// unknown player).
func (s *sqlStore) Identities(ctx context.Context, playerID string) ([]persistence.Identity, error) {
	var out []persistence.Identity
	err := s.b.read(ctx, func(tx dbtx) error {
		out = out[:0]
		rs, err := tx.query(ctx, `SELECT provider, subject, player_id, linked_at FROM identities
			WHERE player_id = $1 ORDER BY linked_at, provider, subject`, playerID)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var i persistence.Identity
			if err := rs.Scan(&i.Provider, &i.Subject, &i.PlayerID, &i.LinkedAt); err != nil {
				return err
			}
			out = append(out, i)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("identities of player %s: %w", playerID, err)
	}
	return out, nil
}

// Player returns one player or ErrNotFound.
func (s *sqlStore) Player(ctx context.Context, playerID string) (persistence.Player, error) {
	var p persistence.Player
	err := s.b.read(ctx, func(tx dbtx) error {
		err := tx.queryRow(ctx, `SELECT id, display_name, created_at FROM players WHERE id = $1`, playerID).
			Scan(&p.ID, &p.DisplayName, &p.CreatedAt)
		if errors.Is(err, errNoRows) {
			return persistence.ErrNotFound
		}
		return err
	})
	if err != nil {
		return persistence.Player{}, fmt.Errorf("player %s: %w", playerID, err)
	}
	return p, nil
}
