package fakedb

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/pantheon-oracles/pantheon/persistence"
)

var _ persistence.History = (*DB)(nil)

// The fake records no results or ledger: its History knows the ratings
// set with SetRating and nothing else. Histories, wallets, ledgers and
// codexes are empty, every match and replay is not found, and a cursor
// is refused (the fake never hands one out).

// MatchesOf implements persistence.History: always empty.
func (d *DB) MatchesOf(_ context.Context, _ string, p persistence.Page) ([]persistence.MatchSummary, string, error) {
	return nil, "", d.checkPage(p)
}

// MatchDetail implements persistence.History: always ErrNotFound.
func (d *DB) MatchDetail(_ context.Context, matchID string) (persistence.MatchDetail, error) {
	if err := d.check(); err != nil {
		return persistence.MatchDetail{}, err
	}
	return persistence.MatchDetail{}, fmt.Errorf("fakedb: match %s: %w", matchID, persistence.ErrNotFound)
}

// Replay implements persistence.History: always ErrNotFound.
func (d *DB) Replay(_ context.Context, matchID string) ([]byte, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("fakedb: replay of %s: %w", matchID, persistence.ErrNotFound)
}

// RatingsOf implements persistence.History from the ratings set with
// SetRating, by mode.
func (d *DB) RatingsOf(_ context.Context, playerID string) ([]persistence.Rating, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []persistence.Rating
	for _, r := range d.ratings {
		if r.PlayerID == playerID {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b persistence.Rating) int { return cmp.Compare(a.Mode, b.Mode) })
	return out, nil
}

// board returns mode's ratings ranked by score, then player id.
func (d *DB) board(mode string) []persistence.Ranked {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []persistence.Ranked
	for _, r := range d.ratings {
		if r.Mode == mode {
			out = append(out, persistence.Ranked{Rating: r, Score: persistence.Score(r)})
		}
	}
	slices.SortFunc(out, func(a, b persistence.Ranked) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.PlayerID, b.PlayerID))
	})
	for i := range out {
		out[i].Rank = int64(i + 1)
	}
	return out
}

// Leaderboard implements persistence.History over the set ratings.
func (d *DB) Leaderboard(_ context.Context, mode string, limit int) ([]persistence.Ranked, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	b := d.board(mode)
	return b[:min(len(b), max(limit, 1))], nil
}

// Around implements persistence.History over the set ratings.
func (d *DB) Around(_ context.Context, mode, playerID string, n int) ([]persistence.Ranked, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	b := d.board(mode)
	i := slices.IndexFunc(b, func(r persistence.Ranked) bool { return r.PlayerID == playerID })
	if i < 0 {
		return nil, nil
	}
	n = max(n, 0)
	return b[max(i-n, 0):min(i+n+1, len(b))], nil
}

// Wallet implements persistence.History: always empty.
func (d *DB) Wallet(context.Context, string) ([]persistence.WalletBalance, error) {
	return nil, d.check()
}

// LedgerOf implements persistence.History: always empty.
func (d *DB) LedgerOf(_ context.Context, _ string, p persistence.Page) ([]persistence.LedgerItem, string, error) {
	return nil, "", d.checkPage(p)
}

// Codex implements persistence.History: always empty.
func (d *DB) Codex(context.Context, string) ([]persistence.CodexUnlock, error) { return nil, d.check() }

// checkPage is check, then refuses any cursor (the fake never hands one out).
func (d *DB) checkPage(p persistence.Page) error {
	if err := d.check(); err != nil {
		return err
	}
	if p.Cursor != "" {
		return fmt.Errorf("fakedb: cursor %q: %w", p.Cursor, persistence.ErrInvalid)
	}
	return nil
}
