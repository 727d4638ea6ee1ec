package persistence

import (
	"context"
	"fmt"
	"sort"

	"github.com/pantheon-oracles/pantheon/persistence/rating"
)

// Ratings returns the rating of each player in mode, in the order asked;
// players without a row get the model's default with Matches == 0.
func (s *sqlStore) Ratings(ctx context.Context, mode string, playerIDs []string) ([]Rating, error) {
	found := make(map[string]Rating, len(playerIDs))
	err := s.b.read(ctx, func(tx dbtx) error {
		for ids := playerIDs; len(ids) > 0; {
			n := min(len(ids), maxParams-1)
			args := []any{mode}
			for _, id := range ids[:n] {
				args = append(args, id)
			}
			rs, err := tx.query(ctx, `SELECT player_id, mu, sigma, matches FROM ratings
				WHERE mode = $1 AND player_id IN (`+inList(2, n)+`)`, args...)
			if err != nil {
				return err
			}
			for rs.Next() {
				r := Rating{Mode: mode}
				if err := rs.Scan(&r.PlayerID, &r.Mu, &r.Sigma, &r.Matches); err != nil {
					rs.Close()
					return err
				}
				found[r.PlayerID] = r
			}
			rs.Close()
			if err := rs.Err(); err != nil {
				return err
			}
			ids = ids[n:]
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ratings in %s: %w", mode, err)
	}
	out := make([]Rating, len(playerIDs))
	for i, id := range playerIDs {
		r, ok := found[id]
		if !ok {
			d := s.model.New()
			r = Rating{PlayerID: id, Mode: mode, Mu: d.Mu, Sigma: d.Sigma}
		}
		out[i] = r
	}
	return out, nil
}

// ratingKey names one rating row.
type ratingKey struct{ mode, player string }

// rateRecords updates the ratings of every participant of recs, in record
// order, inside tx. Aborted matches and matches with a single team change
// nothing but count (single team) or nothing at all (aborted).
//
// Lock order: rating rows are created and locked sorted by (mode, player),
// before anything else the result transaction locks after the match rows.
func (s *sqlStore) rateRecords(ctx context.Context, tx dbtx, recs []MatchRecord) error {
	keySet := map[ratingKey]bool{}
	for _, r := range recs {
		if r.Outcome == OutcomeAborted {
			continue
		}
		for _, p := range r.Participants {
			keySet[ratingKey{r.Mode, p.PlayerID}] = true
		}
	}
	if len(keySet) == 0 {
		return nil
	}
	keys := make([]ratingKey, 0, len(keySet))
	for k := range keySet {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].mode != keys[j].mode {
			return keys[i].mode < keys[j].mode
		}
		return keys[i].player < keys[j].player
	})
	now := s.clock()
	// Lock the rows that exist; create the missing ones (new rows are
	// locked by their insert) and read them back.
	cur, err := lockRatings(ctx, tx, keys)
	if err != nil {
		return err
	}
	var missing []ratingKey
	for _, k := range keys {
		if _, ok := cur[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		def := s.model.New()
		ensure := make([][]any, len(missing))
		for i, k := range missing {
			ensure[i] = []any{k.player, k.mode, def.Mu, def.Sigma, 0, now}
		}
		if err := insertRows(ctx, tx, "ratings", []string{"player_id", "mode", "mu", "sigma", "matches", "updated_at"},
			ensure, "ON CONFLICT (player_id, mode) DO NOTHING"); err != nil {
			return err
		}
		more, err := lockRatings(ctx, tx, missing)
		if err != nil {
			return err
		}
		for k, r := range more {
			cur[k] = r
		}
	}
	for _, r := range recs {
		if r.Outcome == OutcomeAborted {
			continue
		}
		if err := s.rateMatch(r, cur); err != nil {
			return err
		}
	}
	// Every row exists and is locked: update them all at once.
	updates := make([][]any, len(keys))
	for i, k := range keys {
		r := cur[k]
		updates[i] = []any{k.player, k.mode, r.Mu, r.Sigma, r.Matches, now}
	}
	return tx.updateRows(ctx, "ratings", []string{"player_id", "mode"}, []string{"mu", "sigma", "matches", "updated_at"},
		[]string{"text", "text", "float8", "float8", "int4", "timestamptz"}, updates)
}

// lockRatings locks and reads the existing rating rows of keys (sorted by
// mode, then player).
func lockRatings(ctx context.Context, tx dbtx, keys []ratingKey) (map[ratingKey]Rating, error) {
	cur := make(map[ratingKey]Rating, len(keys))
	for start := 0; start < len(keys); {
		mode := keys[start].mode
		end := start
		for end < len(keys) && keys[end].mode == mode && end-start < maxParams-1 {
			end++
		}
		args := []any{mode}
		for _, k := range keys[start:end] {
			args = append(args, k.player)
		}
		rs, err := tx.query(ctx, `SELECT player_id, mu, sigma, matches FROM ratings
			WHERE mode = $1 AND player_id IN (`+inList(2, end-start)+`) ORDER BY player_id`+tx.lockSuffix(), args...)
		if err != nil {
			return nil, err
		}
		for rs.Next() {
			r := Rating{Mode: mode}
			if err := rs.Scan(&r.PlayerID, &r.Mu, &r.Sigma, &r.Matches); err != nil {
				rs.Close()
				return nil, err
			}
			cur[ratingKey{mode, r.PlayerID}] = r
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return nil, err
		}
		start = end
	}
	return cur, nil
}

// rateMatch applies one match to the ratings in cur. Teams are ranked by
// the outcome: in a team_win the winning team is first and every other team
// second; any other outcome between two or more teams is a draw.
func (s *sqlStore) rateMatch(r MatchRecord, cur map[ratingKey]Rating) error {
	teamIdx := map[int]int{}
	var teamIDs []int
	for _, p := range r.Participants {
		if _, ok := teamIdx[p.Team]; !ok {
			teamIdx[p.Team] = 0
			teamIDs = append(teamIDs, p.Team)
		}
	}
	sort.Ints(teamIDs)
	for i, t := range teamIDs {
		teamIdx[t] = i
	}
	teams := make([][]rating.Rating, len(teamIDs))
	members := make([][]ratingKey, len(teamIDs))
	for _, p := range r.Participants {
		k := ratingKey{r.Mode, p.PlayerID}
		c := cur[k]
		c.Matches++
		cur[k] = c
		i := teamIdx[p.Team]
		teams[i] = append(teams[i], rating.Rating{Mu: c.Mu, Sigma: c.Sigma})
		members[i] = append(members[i], k)
	}
	if len(teams) < 2 {
		return nil
	}
	ranks := make([]int, len(teams))
	if r.Outcome == OutcomeTeamWin {
		for i, t := range teamIDs {
			if t != r.WinningTeam {
				ranks[i] = 1
			}
		}
	}
	out, err := s.model.Rate(teams, ranks)
	if err != nil {
		return fmt.Errorf("match %s: rate: %w", r.MatchID, err)
	}
	for i := range out {
		for j, nr := range out[i] {
			c := cur[members[i][j]]
			c.Mu, c.Sigma = nr.Mu, nr.Sigma
			cur[members[i][j]] = c
		}
	}
	return nil
}
