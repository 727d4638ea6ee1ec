package sqlstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pantheon-oracles/pantheon/persistence"
)

// CreateRefreshFamily stores a new family; ErrNotFound when the player does
// not exist.
func (s *sqlStore) CreateRefreshFamily(ctx context.Context, f persistence.RefreshFamily) error {
	if f.ID == "" || f.PlayerID == "" || len(f.CurrentHash) == 0 || f.Generation < 0 || f.ExpiresAt.IsZero() {
		return invalid("refresh family: empty id, player or hash, negative generation or no expiry")
	}
	err := s.b.write(ctx, func(tx dbtx) error {
		_, err := tx.exec(ctx, `INSERT INTO refresh_families (id, player_id, current_hash, generation, expires_at, revoked_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, f.ID, f.PlayerID, f.CurrentHash, f.Generation, asTime(f.ExpiresAt), asTime(f.RevokedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("create refresh family %s: %w", f.ID, err)
	}
	return nil
}

// RotateRefresh replaces the family's hash when presentedHash is current and
// the family live; see RefreshTokens. The reuse revocation is committed
// before ErrRefreshReused is returned.
func (s *sqlStore) RotateRefresh(ctx context.Context, familyID string, presentedHash, newHash []byte, now time.Time) (persistence.RefreshFamily, error) {
	if len(newHash) == 0 {
		return persistence.RefreshFamily{}, invalid("rotate refresh: empty new hash")
	}
	now = s.at(now)
	var f persistence.RefreshFamily
	var outcome error
	err := s.b.write(ctx, func(tx dbtx) error {
		outcome = nil
		err := tx.queryRow(ctx, `SELECT id, player_id, current_hash, generation, expires_at, revoked_at
			FROM refresh_families WHERE id = $1`+tx.lockSuffix(), familyID).
			Scan(&f.ID, &f.PlayerID, &f.CurrentHash, &f.Generation, &f.ExpiresAt, &f.RevokedAt)
		if errors.Is(err, errNoRows) {
			return persistence.ErrNotFound
		}
		if err != nil {
			return err
		}
		switch {
		case !f.RevokedAt.IsZero() || !now.Before(f.ExpiresAt):
			outcome = persistence.ErrRevoked
			return nil
		case !bytes.Equal(f.CurrentHash, presentedHash):
			f.RevokedAt = now
			outcome = persistence.ErrRefreshReused
			_, err := tx.exec(ctx, `UPDATE refresh_families SET revoked_at = $2 WHERE id = $1`, familyID, f.RevokedAt)
			return err
		}
		f.CurrentHash = append([]byte(nil), newHash...)
		f.Generation++
		_, err = tx.exec(ctx, `UPDATE refresh_families SET current_hash = $2, generation = $3 WHERE id = $1`,
			familyID, f.CurrentHash, f.Generation)
		return err
	})
	if err == nil {
		err = outcome
	}
	if err != nil {
		return persistence.RefreshFamily{}, fmt.Errorf("rotate refresh family %s: %w", familyID, err)
	}
	return f, nil
}

// RevokeFamily revokes one family; revoking twice keeps the first time.
// ErrNotFound for an unknown family.
func (s *sqlStore) RevokeFamily(ctx context.Context, familyID string, now time.Time) error {
	err := s.b.write(ctx, func(tx dbtx) error {
		var n int
		if err := tx.queryRow(ctx, `SELECT count(*) FROM refresh_families WHERE id = $1`, familyID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return persistence.ErrNotFound
		}
		_, err := tx.exec(ctx, `UPDATE refresh_families SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`,
			familyID, s.at(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("revoke refresh family %s: %w", familyID, err)
	}
	return nil
}

// RevokePlayerFamilies revokes every live family of a player.
func (s *sqlStore) RevokePlayerFamilies(ctx context.Context, playerID string, now time.Time) error {
	err := s.b.write(ctx, func(tx dbtx) error {
		_, err := tx.exec(ctx, `UPDATE refresh_families SET revoked_at = $2 WHERE player_id = $1 AND revoked_at IS NULL`,
			playerID, s.at(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("revoke refresh families of player %s: %w", playerID, err)
	}
	return nil
}

// PlayerFamilies lists a player's unexpired families, newest expiry first.
func (s *sqlStore) PlayerFamilies(ctx context.Context, playerID string, now time.Time, limit int) ([]persistence.RefreshFamily, error) {
	var out []persistence.RefreshFamily
	err := s.b.read(ctx, func(tx dbtx) error {
		out = out[:0]
		// Expiry is compared here, not in SQL: the embedded backend keeps
		// times in its own text form.
		rs, err := tx.query(ctx, `SELECT id, player_id, generation, expires_at, revoked_at FROM refresh_families
			WHERE player_id = $1`, playerID)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var f persistence.RefreshFamily
			if err := rs.Scan(&f.ID, &f.PlayerID, &f.Generation, &f.ExpiresAt, &f.RevokedAt); err != nil {
				return err
			}
			if now.Before(f.ExpiresAt) {
				out = append(out, f)
			}
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("refresh families of player %s: %w", playerID, err)
	}
	return persistence.NewestFamilies(out, limit), nil
}
