package sqlstore

import (
	"context"
	"fmt"
	"sort"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/pantheon-oracles/pantheon/persistence/rating"
)

// Ratings returns the rating of each player in mode, in the order asked;
// players without a row get the model's default with Matches == 0.
func (s *sqlStore) Ratings(ctx context.Context, mode string, playerIDs []string) ([]persistence.Rating, error) {
	keys := make([]ratingKey, len(playerIDs))
	for i, id := range playerIDs {
		keys[i] = ratingKey{mode, id}
	}
	var found map[ratingKey]persistence.Rating
	err := s.b.read(ctx, func(tx dbtx) error {
		var err error
		found, err = readRatings(ctx, tx, keys, false)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ratings in %s: %w", mode, err)
	}
	out := make([]persistence.Rating, len(playerIDs))
	for i, k := range keys {
		r, ok := found[k]
		if !ok {
			r = s.defaultRating(k)
		}
		out[i] = r
	}
	return out, nil
}

// defaultRating is the rating of a player who has none in the mode yet.
func (s *sqlStore) defaultRating(k ratingKey) persistence.Rating {
	d := s.model.New()
	return persistence.Rating{PlayerID: k.player, Mode: k.mode, Mu: d.Mu, Sigma: d.Sigma}
}

// ratingKey names one rating row.
type ratingKey struct{ mode, player string }

// rateRecords updates the ratings of every participant of recs, in record
// order, inside tx. Aborted matches and matches with a single team change
// nothing but count (single team) or nothing at all (aborted).
//
// Lock order (lockorder.go): rating rows are locked sorted by (mode,
// player), after the match rows and before wager books and wallets.
func (s *sqlStore) rateRecords(ctx context.Context, tx dbtx, recs []contract.MatchRecord) error {
	keySet := map[ratingKey]bool{}
	for _, r := range recs {
		if r.Outcome == contract.OutcomeAborted {
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
	// Lock the rows that exist, then create the missing ones at the
	// default rating (locked by their insert; see lockorder.go).
	cur, err := readRatings(ctx, tx, keys, true)
	if err != nil {
		return err
	}
	var create [][]any
	for _, k := range keys {
		if _, ok := cur[k]; !ok {
			r := s.defaultRating(k)
			cur[k] = r
			create = append(create, []any{r.PlayerID, r.Mode, r.Mu, r.Sigma, r.Matches, now})
		}
	}
	if len(create) > 0 {
		if err := createMissing(ctx, tx, "ratings", []string{"player_id", "mode", "mu", "sigma", "matches", "updated_at"}, create); err != nil {
			return err
		}
	}
	var changes [][]any // match_ratings rows, one per rated seat
	for _, r := range recs {
		if r.Outcome == contract.OutcomeAborted {
			continue
		}
		rows, err := s.rateMatch(r, cur)
		if err != nil {
			return err
		}
		changes = append(changes, rows...)
	}
	if err := tx.bulkInsert(ctx, "match_ratings", matchRatingColumns, changes); err != nil {
		return fmt.Errorf("match ratings: %w", err)
	}
	// Every row exists and is locked: update them all at once.
	updates := make([][]any, len(keys))
	for i, k := range keys {
		r := cur[k]
		updates[i] = []any{k.player, k.mode, r.Mu, r.Sigma, r.Matches, now}
	}
	return tx.updateRows(ctx, "ratings", []string{"player_id", "mode"}, []string{"mu", "sigma", "matches", "updated_at"}, updates)
}

// readRatings reads the existing rating rows of keys (sorted by mode,
// then player), locking them in that order when lock is set: one
// statement per mode.
func readRatings(ctx context.Context, tx dbtx, keys []ratingKey, lock bool) (map[ratingKey]persistence.Rating, error) {
	cur := make(map[ratingKey]persistence.Rating, len(keys))
	q := keyedSelect{table: "ratings", cols: "player_id, mu, sigma, matches", group: "mode", key: "player_id",
		order: "player_id", lock: lock}
	err := selectGrouped(ctx, tx, q, len(keys), func(i int) (string, string) { return keys[i].mode, keys[i].player },
		func(mode string, rs rows) error {
			r := persistence.Rating{Mode: mode}
			if err := rs.Scan(&r.PlayerID, &r.Mu, &r.Sigma, &r.Matches); err != nil {
				return err
			}
			cur[ratingKey{mode, r.PlayerID}] = r
			return nil
		})
	return cur, err
}

// matchRatingColumns are the columns of match_ratings, the rating of each
// rated seat before and after its match (in rateMatch's row order).
var matchRatingColumns = []string{"match_id", "seat", "player_id", "mu_before", "sigma_before", "mu_after", "sigma_after"}

// rateMatch applies one match to the ratings in cur and returns its
// match_ratings rows (none when fewer than two teams played). Teams are
// ranked by the outcome: in a team_win the winning team is first and every
// other team second; any other outcome between two or more teams is a draw.
func (s *sqlStore) rateMatch(r contract.MatchRecord, cur map[ratingKey]persistence.Rating) ([][]any, error) {
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
	before := make(map[ratingKey]persistence.Rating, len(r.Participants))
	for _, p := range r.Participants {
		before[ratingKey{r.Mode, p.PlayerID}] = cur[ratingKey{r.Mode, p.PlayerID}]
	}
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
		return nil, nil
	}
	ranks := make([]int, len(teams))
	if r.Outcome == contract.OutcomeTeamWin {
		for i, t := range teamIDs {
			if t != r.WinningTeam {
				ranks[i] = 1
			}
		}
	}
	out, err := s.model.Rate(teams, ranks)
	if err != nil {
		return nil, fmt.Errorf("match %s: rate: %w", r.MatchID, err)
	}
	for i := range out {
		for j, nr := range out[i] {
			c := cur[members[i][j]]
			c.Mu, c.Sigma = nr.Mu, nr.Sigma
			cur[members[i][j]] = c
		}
	}
	rows := make([][]any, 0, len(r.Participants))
	for _, p := range r.Participants {
		k := ratingKey{r.Mode, p.PlayerID}
		b, a := before[k], cur[k]
		rows = append(rows, []any{r.MatchID, p.Seat, p.PlayerID, b.Mu, b.Sigma, a.Mu, a.Sigma})
	}
	return rows, nil
}
