package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/pantheon-oracles/pantheon/persistence"
)

// Codex lists a player's codex entries.
func (s *sqlStore) Codex(ctx context.Context, playerID string) ([]persistence.CodexUnlock, error) {
	var out []persistence.CodexUnlock
	err := s.b.read(ctx, func(tx dbtx) error {
		out = out[:0]
		return scanEach(ctx, tx, `SELECT c.match_id, c.player_id, c.entry_id, c.tick, c.detail FROM codex_entries c
			JOIN matches m ON m.match_id = c.match_id WHERE c.player_id = $1 ORDER BY m.applied_at, c.match_id, c.seq`,
			[]any{playerID}, func(rs rows) error {
				var c persistence.CodexUnlock
				err := rs.Scan(&c.MatchID, &c.PlayerID, &c.EntryID, &c.Tick, &c.Detail)
				out = append(out, c)
				return err
			})
	})
	if err != nil {
		return nil, fmt.Errorf("codex of player %s: %w", playerID, err)
	}
	return out, nil
}

// Achievements lists a player's achievements, oldest first.
func (s *sqlStore) Achievements(ctx context.Context, playerID string) ([]persistence.Achievement, error) {
	var out []persistence.Achievement
	err := s.b.read(ctx, func(tx dbtx) error {
		out = out[:0]
		return scanEach(ctx, tx, `SELECT player_id, achievement_id, COALESCE(match_id, ''), unlocked_at FROM achievements
			WHERE player_id = $1 ORDER BY unlocked_at, achievement_id`, []any{playerID}, func(rs rows) error {
			var a persistence.Achievement
			err := rs.Scan(&a.PlayerID, &a.AchievementID, &a.MatchID, &a.UnlockedAt)
			out = append(out, a)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("achievements of player %s: %w", playerID, err)
	}
	return out, nil
}

// UnlockAchievement records an achievement once.
func (s *sqlStore) UnlockAchievement(ctx context.Context, a persistence.Achievement) (bool, error) {
	if a.PlayerID == "" || a.AchievementID == "" {
		return false, invalid("unlock achievement: empty player or achievement")
	}
	var match any
	if a.MatchID != "" {
		match = a.MatchID
	}
	var unlocked bool
	err := s.b.write(ctx, func(tx dbtx) error {
		var id string
		err := tx.queryRow(ctx, `INSERT INTO achievements (player_id, achievement_id, match_id, unlocked_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (player_id, achievement_id) DO NOTHING RETURNING achievement_id`,
			a.PlayerID, a.AchievementID, match, s.at(a.UnlockedAt)).Scan(&id)
		unlocked = err == nil
		if errors.Is(err, errNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("unlock achievement %s for player %s: %w", a.AchievementID, a.PlayerID, err)
	}
	return unlocked, nil
}
