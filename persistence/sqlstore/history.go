package sqlstore

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pantheon-oracles/pantheon/persistence"
)

// MaxPage is the most rows one History listing returns, whatever the
// caller asks for.
const MaxPage = 200

// scoreSQL is the leaderboard's sort expression; it must match the
// expression of the ratings_leaderboard index exactly, or the planner
// sorts the whole mode instead of scanning the index.
const scoreSQL = "(mu - 3 * sigma)"

// pageLimit bounds a requested page size to 1..MaxPage.
func pageLimit(n int) int { return min(max(n, 1), MaxPage) }

// errBadCursor is returned for a cursor this store did not produce.
func errBadCursor(c string) error { return invalid("malformed cursor %q", c) }

// matchCursor encodes the sort key of the last match of a page.
func matchCursor(at time.Time, matchID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMicro(), 10) + "|" + matchID))
}

// parseMatchCursor decodes matchCursor.
func parseMatchCursor(c string) (time.Time, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", errBadCursor(c)
	}
	us, id, ok := strings.Cut(string(raw), "|")
	n, err := strconv.ParseInt(us, 10, 64)
	if !ok || err != nil || id == "" {
		return time.Time{}, "", errBadCursor(c)
	}
	return time.UnixMicro(n).UTC(), id, nil
}

// MatchesOf lists playerID's matches newest first: by end time (apply time
// when the end is not recorded), then match id, descending.
func (s *sqlStore) MatchesOf(ctx context.Context, playerID string, page persistence.Page) ([]persistence.MatchSummary, string, error) {
	limit := pageLimit(page.Limit)
	q := `SELECT m.match_id, m.mode, m.arena, m.content_version, m.started_at, m.ended_at, m.ticks, m.outcome,
		p.result, p.team, COALESCE(LENGTH(r.inputs), 0), COALESCE(m.ended_at, m.applied_at)
		FROM match_participants p JOIN matches m ON m.match_id = p.match_id
		LEFT JOIN replays r ON r.match_id = m.match_id
		WHERE p.player_id = $1`
	args := []any{playerID}
	if page.Cursor != "" {
		at, id, err := parseMatchCursor(page.Cursor)
		if err != nil {
			return nil, "", err
		}
		q += ` AND (COALESCE(m.ended_at, m.applied_at) < $2 OR (COALESCE(m.ended_at, m.applied_at) = $2 AND m.match_id < $3))`
		args = append(args, at, id)
	}
	q += fmt.Sprintf(` ORDER BY COALESCE(m.ended_at, m.applied_at) DESC, m.match_id DESC LIMIT %d`, limit+1)
	var out []persistence.MatchSummary
	var keys []time.Time
	err := s.b.read(ctx, func(tx dbtx) error {
		out, keys = out[:0], keys[:0]
		return scanEach(ctx, tx, q, args, func(rs rows) error {
			var m persistence.MatchSummary
			var key time.Time
			err := rs.Scan(&m.MatchID, &m.Mode, &m.Arena, &m.ContentVersion, &m.StartedAt, &m.EndedAt, &m.Ticks, &m.Outcome,
				&m.Result, &m.Team, &m.ReplaySize, &key)
			out, keys = append(out, m), append(keys, key)
			return err
		})
	})
	if err != nil {
		return nil, "", fmt.Errorf("matches of player %s: %w", playerID, err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = matchCursor(keys[limit-1], out[limit-1].MatchID)
	}
	return out, next, nil
}

// MatchDetail reads one match without its replay bytes, with its replay's
// size and its rating changes, or ErrNotFound.
func (s *sqlStore) MatchDetail(ctx context.Context, matchID string) (persistence.MatchDetail, error) {
	var d persistence.MatchDetail
	err := s.b.read(ctx, func(tx dbtx) error {
		var err error
		d = persistence.MatchDetail{}
		if d.MatchRecord, err = readMatch(ctx, tx, matchID, false); err != nil {
			return err
		}
		err = tx.queryRow(ctx, `SELECT LENGTH(inputs) FROM replays WHERE match_id = $1`, matchID).Scan(&d.ReplaySize)
		if err != nil && !errors.Is(err, errNoRows) {
			return err
		}
		return scanEach(ctx, tx, `SELECT player_id, mu_before, sigma_before, mu_after, sigma_after FROM match_ratings
			WHERE match_id = $1 ORDER BY seat`, []any{matchID}, func(rs rows) error {
			var c persistence.RatingChange
			err := rs.Scan(&c.PlayerID, &c.Before.Mu, &c.Before.Sigma, &c.After.Mu, &c.After.Sigma)
			c.Before.PlayerID, c.After.PlayerID = c.PlayerID, c.PlayerID
			c.Before.Mode, c.After.Mode = d.Mode, d.Mode
			d.RatingChanges = append(d.RatingChanges, c)
			return err
		})
	})
	if err != nil {
		return persistence.MatchDetail{}, fmt.Errorf("match %s: %w", matchID, err)
	}
	return d, nil
}

// Replay returns a match's stored replay bytes, or ErrNotFound.
func (s *sqlStore) Replay(ctx context.Context, matchID string) ([]byte, error) {
	var b []byte
	err := s.b.read(ctx, func(tx dbtx) error {
		err := tx.queryRow(ctx, `SELECT inputs FROM replays WHERE match_id = $1`, matchID).Scan(&b)
		if errors.Is(err, errNoRows) {
			return persistence.ErrNotFound
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("replay of match %s: %w", matchID, err)
	}
	return b, nil
}

// RatingsOf lists a player's ratings by mode.
func (s *sqlStore) RatingsOf(ctx context.Context, playerID string) ([]persistence.Rating, error) {
	var out []persistence.Rating
	err := s.b.read(ctx, func(tx dbtx) error {
		out = out[:0]
		return scanEach(ctx, tx, `SELECT player_id, mode, mu, sigma, matches FROM ratings WHERE player_id = $1 ORDER BY mode`,
			[]any{playerID}, func(rs rows) error {
				var r persistence.Rating
				err := rs.Scan(&r.PlayerID, &r.Mode, &r.Mu, &r.Sigma, &r.Matches)
				out = append(out, r)
				return err
			})
	})
	if err != nil {
		return nil, fmt.Errorf("ratings of player %s: %w", playerID, err)
	}
	return out, nil
}

// scanRanked reads leaderboard rows (player_id, mu, sigma, matches) of mode.
func scanRanked(ctx context.Context, tx dbtx, mode, q string, args []any, out *[]persistence.Ranked) error {
	return scanEach(ctx, tx, q, args, func(rs rows) error {
		r := persistence.Ranked{Rating: persistence.Rating{Mode: mode}}
		err := rs.Scan(&r.PlayerID, &r.Mu, &r.Sigma, &r.Matches)
		r.Score = persistence.Score(r.Rating)
		*out = append(*out, r)
		return err
	})
}

// Leaderboard returns mode's top limit (at most MaxPage) ratings by score,
// read from the ratings_leaderboard index.
func (s *sqlStore) Leaderboard(ctx context.Context, mode string, limit int) ([]persistence.Ranked, error) {
	var out []persistence.Ranked
	err := s.b.read(ctx, func(tx dbtx) error {
		out = out[:0]
		return scanRanked(ctx, tx, mode, fmt.Sprintf(`SELECT player_id, mu, sigma, matches FROM ratings WHERE mode = $1
			ORDER BY %s DESC, player_id LIMIT %d`, scoreSQL, pageLimit(limit)), []any{mode}, &out)
	})
	if err != nil {
		return nil, fmt.Errorf("leaderboard of %s: %w", mode, err)
	}
	for i := range out {
		out[i].Rank = int64(i + 1)
	}
	return out, nil
}

// Around returns the n (at most MaxPage) rows above playerID in mode's
// board, its own and the n below. Every read is a range of the
// ratings_leaderboard index: a row's neighbours are the rows of its own
// score on one side of its id, then the rows of the next scores (an OR of
// the two is not index-served: PostgreSQL scanned the whole table for
// it). The player's rank is a count over the index range above it: cheap
// near the top, a scan of the board's upper part further down
// (BenchmarkLeaderboard).
func (s *sqlStore) Around(ctx context.Context, mode, playerID string, n int) ([]persistence.Ranked, error) {
	n = min(max(n, 0), MaxPage)
	var out []persistence.Ranked
	err := s.b.read(ctx, func(tx dbtx) error {
		out = out[:0]
		var score float64
		err := tx.queryRow(ctx, `SELECT `+scoreSQL+` FROM ratings WHERE mode = $1 AND player_id = $2`, mode, playerID).Scan(&score)
		if errors.Is(err, errNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		args := []any{mode, score, playerID}
		var higher, tiedAbove int64
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM ratings WHERE mode = $1 AND `+scoreSQL+` > $2`, mode, score).Scan(&higher); err != nil {
			return err
		}
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM ratings WHERE mode = $1 AND `+scoreSQL+` = $2 AND player_id < $3`, args...).Scan(&tiedAbove); err != nil {
			return err
		}
		rank := higher + tiedAbove
		// Above, nearest first: the same score with smaller ids, then higher scores.
		var up []persistence.Ranked
		if err := rankedRange(ctx, tx, mode, &up, n,
			[2]string{scoreSQL + ` = $2 AND player_id < $3`, `player_id DESC`},
			[2]string{scoreSQL + ` > $2`, scoreSQL + ` ASC, player_id DESC`}, args); err != nil {
			return err
		}
		for i := len(up) - 1; i >= 0; i-- {
			up[i].Rank = rank - int64(i)
			out = append(out, up[i])
		}
		// The player itself and below: the same score from its id on, then lower scores.
		below := len(out)
		if err := rankedRange(ctx, tx, mode, &out, n+1,
			[2]string{scoreSQL + ` = $2 AND player_id >= $3`, `player_id`},
			[2]string{scoreSQL + ` < $2`, scoreSQL + ` DESC, player_id`}, args); err != nil {
			return err
		}
		for i := below; i < len(out); i++ {
			out[i].Rank = rank + 1 + int64(i-below)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("leaderboard of %s around %s: %w", mode, playerID, err)
	}
	return out, nil
}

// rankedRange appends up to n rows of mode's board to out: those of the
// first range (a WHERE condition over args and its ORDER BY), then, while
// fewer than n, those of the second. Each is one index range read.
func rankedRange(ctx context.Context, tx dbtx, mode string, out *[]persistence.Ranked, n int, first, second [2]string, args []any) error {
	start := len(*out)
	for _, r := range [][2]string{first, second} {
		left := n - (len(*out) - start)
		if left <= 0 {
			return nil
		}
		q := fmt.Sprintf(`SELECT player_id, mu, sigma, matches FROM ratings WHERE mode = $1 AND %s ORDER BY %s LIMIT %d`, r[0], r[1], left)
		// A range without $3 must not be sent the id.
		a := args
		if !strings.Contains(r[0], "$3") {
			a = args[:2]
		}
		if err := scanRanked(ctx, tx, mode, q, a, out); err != nil {
			return err
		}
	}
	return nil
}

// Wallet lists a player's balances by currency.
func (s *sqlStore) Wallet(ctx context.Context, playerID string) ([]persistence.WalletBalance, error) {
	var out []persistence.WalletBalance
	err := s.b.read(ctx, func(tx dbtx) error {
		out = out[:0]
		return scanEach(ctx, tx, `SELECT currency, balance FROM wallets WHERE account = $1 AND kind = 'player' ORDER BY currency`,
			[]any{playerID}, func(rs rows) error {
				var b persistence.WalletBalance
				err := rs.Scan(&b.Currency, &b.Balance)
				out = append(out, b)
				return err
			})
	})
	if err != nil {
		return nil, fmt.Errorf("wallet of player %s: %w", playerID, err)
	}
	return out, nil
}

// LedgerOf lists a player's ledger entries newest first (by entry id),
// with the operation of each; the cursor is the last entry's id.
func (s *sqlStore) LedgerOf(ctx context.Context, playerID string, page persistence.Page) ([]persistence.LedgerItem, string, error) {
	limit := pageLimit(page.Limit)
	q := `SELECT e.id, e.account, e.currency, e.amount, e.op_key, e.reason, e.created_at, o.kind, o.params
		FROM ledger_entries e JOIN ledger_ops o ON o.idempotency_key = e.op_key WHERE e.account = $1`
	args := []any{playerID}
	if page.Cursor != "" {
		before, err := strconv.ParseInt(page.Cursor, 10, 64)
		if err != nil || before <= 0 {
			return nil, "", errBadCursor(page.Cursor)
		}
		q += ` AND e.id < $2`
		args = append(args, before)
	}
	q += fmt.Sprintf(` ORDER BY e.id DESC LIMIT %d`, limit+1)
	var out []persistence.LedgerItem
	err := s.b.read(ctx, func(tx dbtx) error {
		out = out[:0]
		return scanEach(ctx, tx, q, args, func(rs rows) error {
			var it persistence.LedgerItem
			var params string
			err := rs.Scan(&it.ID, &it.PlayerID, &it.Currency, &it.Amount, &it.IdempotencyKey, &it.Reason, &it.CreatedAt,
				&it.Operation, &params)
			it.MatchID = opMatch(params)
			out = append(out, it)
			return err
		})
	})
	if err != nil {
		return nil, "", fmt.Errorf("ledger of player %s: %w", playerID, err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = strconv.FormatInt(out[limit-1].ID, 10)
	}
	return out, next, nil
}

// opMatch returns the match a ledger operation belongs to: match
// operations (rewards, wager settlement and refund) and wagers record it
// first in their canonical parameters as "match=<id>".
func opMatch(params string) string {
	rest, ok := strings.CutPrefix(params, "match=")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, " ")
	return id
}
