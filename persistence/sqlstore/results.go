package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/persistence"
)

// Columns of the bulk-written result tables.
var (
	matchColumns = []string{"match_id", "room_id", "server_id", "mode", "arena", "content_version", "seed",
		"started_at", "ended_at", "ticks", "outcome", "winning_team", "final_hash", "applied_at"}
	participantColumns = []string{"match_id", "seat", "player_id", "team", "result", "kills", "deaths",
		"damage_dealt", "damage_taken", "healing", "score"}
	rewardColumns = []string{"match_id", "seq", "player_id", "currency", "amount", "item_id"}
	codexColumns  = []string{"match_id", "seq", "player_id", "entry_id", "tick", "detail"}
	replayColumns = []string{"match_id", "content_version", "seed", "final_hash", "inputs"}
)

// ApplyMatches applies the records in one transaction (see Results): the
// match rows are inserted first with ON CONFLICT DO NOTHING, and only the
// records whose row this transaction created are applied further, so a
// retry after an uncertain commit, a duplicate in the batch or a concurrent
// flusher applying the same match changes nothing. An invalid record fails
// the whole batch with ErrInvalid before anything is written.
//
// The records take effect in the order given (the outbox's submission
// order): a player in several matches of one batch gets the ratings that
// applying them one call at a time would give. Each rating and wallet row
// is still read, locked and written once per batch, in key order
// (lockorder.go).
func (s *sqlStore) ApplyMatches(ctx context.Context, recs []contract.MatchRecord) (int, error) {
	for _, r := range recs {
		if err := persistence.ValidateRecord(r); err != nil {
			return 0, err
		}
	}
	// First occurrence of each match id, in the order given.
	seen := map[string]bool{}
	var batch []contract.MatchRecord
	for _, r := range recs {
		if !seen[r.MatchID] {
			seen[r.MatchID] = true
			batch = append(batch, r)
		}
	}
	if len(batch) == 0 {
		return 0, nil
	}

	var applied int
	err := s.b.write(ctx, func(tx dbtx) error {
		fresh, err := s.insertMatches(ctx, tx, batch)
		if err != nil {
			return err
		}
		applied = len(fresh)
		if len(fresh) == 0 {
			return nil
		}
		if err := s.insertMatchRows(ctx, tx, fresh); err != nil {
			return err
		}
		if err := s.rateRecords(ctx, tx, fresh); err != nil {
			return fmt.Errorf("ratings: %w", err)
		}
		return s.settleMatches(ctx, tx, fresh)
	})
	if err != nil {
		return 0, fmt.Errorf("apply %d match records: %w", len(batch), err)
	}
	return applied, nil
}

// insertMatches inserts the match rows, in match id order (the lock
// order), and returns the records whose row was new, in batch order.
func (s *sqlStore) insertMatches(ctx context.Context, tx dbtx, batch []contract.MatchRecord) ([]contract.MatchRecord, error) {
	now := s.clock()
	created := map[string]bool{}
	per := maxParams / len(matchColumns)
	sorted := append([]contract.MatchRecord(nil), batch...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].MatchID < sorted[j].MatchID })
	for rest := sorted; len(rest) > 0; {
		n := min(per, len(rest))
		args := make([]any, 0, n*len(matchColumns))
		for _, r := range rest[:n] {
			args = append(args, r.MatchID, r.RoomID, r.ServerID, r.Mode, r.Arena, r.ContentVersion, r.Seed,
				asTime(r.StartedAt), asTime(r.EndedAt), r.Ticks, r.Outcome.String(), r.WinningTeam, r.FinalHash, now)
		}
		rs, err := tx.query(ctx, `INSERT INTO matches (`+strings.Join(matchColumns, ", ")+`) VALUES `+
			placeholders(1, n, len(matchColumns))+` ON CONFLICT (match_id) DO NOTHING RETURNING match_id`, args...)
		if err != nil {
			return nil, fmt.Errorf("insert matches: %w", err)
		}
		for rs.Next() {
			var id string
			if err := rs.Scan(&id); err != nil {
				rs.Close()
				return nil, err
			}
			created[id] = true
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return nil, fmt.Errorf("insert matches: %w", err)
		}
		rest = rest[n:]
	}
	var fresh []contract.MatchRecord
	for _, r := range batch {
		if created[r.MatchID] {
			fresh = append(fresh, r)
		}
	}
	return fresh, nil
}

// insertMatchRows writes participants, rewards, codex entries and replays
// of freshly inserted matches.
func (s *sqlStore) insertMatchRows(ctx context.Context, tx dbtx, fresh []contract.MatchRecord) error {
	var parts, rewards, codex, replays [][]any
	for _, r := range fresh {
		for _, p := range r.Participants {
			parts = append(parts, []any{r.MatchID, p.Seat, p.PlayerID, p.Team, p.Result.String(), p.Kills, p.Deaths,
				p.DamageDealt, p.DamageTaken, p.Healing, p.Score})
		}
		for i, rw := range r.Rewards {
			rewards = append(rewards, []any{r.MatchID, i, rw.PlayerID, rw.Currency, rw.Amount, rw.ItemID})
		}
		for i, c := range r.Codex {
			codex = append(codex, []any{r.MatchID, i, c.PlayerID, c.EntryID, c.Tick, c.Detail})
		}
		if len(r.Replay) > 0 {
			replays = append(replays, []any{r.MatchID, r.ContentVersion, r.Seed, r.FinalHash, r.Replay})
		}
	}
	for _, t := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"match_participants", participantColumns, parts},
		{"match_rewards", rewardColumns, rewards},
		{"codex_entries", codexColumns, codex},
		{"replays", replayColumns, replays},
	} {
		if err := tx.bulkInsert(ctx, t.table, t.cols, t.rows); err != nil {
			return err
		}
	}
	return nil
}

// settleMatches credits rewards from the house, settles or refunds wagers
// and closes the wager books of freshly inserted matches: one ledger
// operation per match for rewards ("match:<id>:rewards") and one for
// wagers ("match:<id>:wagers"), all posted together so every wallet is
// locked once, in order. It is the last step of the result transaction.
func (s *sqlStore) settleMatches(ctx context.Context, tx dbtx, fresh []contract.MatchRecord) error {
	now := s.clock()
	ids := make([]string, len(fresh))
	for i, r := range fresh {
		ids[i] = r.MatchID
	}
	if err := closeBooks(ctx, tx, ids, now); err != nil {
		return fmt.Errorf("close wager books: %w", err)
	}
	open, err := escrowedWagers(ctx, tx, ids)
	if err != nil {
		return fmt.Errorf("read wagers: %w", err)
	}
	var ops []ledgerOp
	var outcomes []wagerOutcome
	for _, r := range fresh {
		if op, ok := rewardOp(r); ok {
			ops = append(ops, op)
		}
		if ws := open[r.MatchID]; len(ws) > 0 {
			outs := settleWagers(r, ws)
			ops = append(ops, settlementOp("match:"+r.MatchID+":wagers", r.MatchID, ws, outs, "settle "+r.MatchID))
			outcomes = append(outcomes, outs...)
		}
	}
	if len(ops) == 0 {
		return nil
	}
	if err := setWagerStates(ctx, tx, outcomes, now); err != nil {
		return err
	}
	if err := insertOps(ctx, tx, ops, now); err != nil {
		return err
	}
	// Last: post locks the wallets and moves the house's (lockorder.go).
	if _, err := post(ctx, tx, ops, now, false); err != nil {
		return fmt.Errorf("post rewards and wagers: %w", err)
	}
	return nil
}

// rewardOp credits a match's currency rewards from the house.
func rewardOp(r contract.MatchRecord) (ledgerOp, bool) {
	op := ledgerOp{key: "match:" + r.MatchID + ":rewards", kind: "rewards", params: "match=" + r.MatchID, reason: "reward " + r.MatchID}
	for _, rw := range r.Rewards {
		if rw.Amount <= 0 {
			continue
		}
		op.posts = append(op.posts,
			posting{walletKey{rw.PlayerID, rw.Currency}, rw.Amount},
			posting{walletKey{persistence.HouseAccount, rw.Currency}, -rw.Amount})
		if op.result == (walletKey{}) {
			op.result = walletKey{persistence.HouseAccount, rw.Currency}
		}
	}
	return op, len(op.posts) > 0
}

// Match reads one stored match back, or ErrNotFound. Participants are in
// seat order, rewards and codex entries in record order.
func (s *sqlStore) Match(ctx context.Context, matchID string) (contract.MatchRecord, error) {
	var r contract.MatchRecord
	err := s.b.read(ctx, func(tx dbtx) error {
		var err error
		r, err = readMatch(ctx, tx, matchID, true)
		return err
	})
	if err != nil {
		return contract.MatchRecord{}, fmt.Errorf("match %s: %w", matchID, err)
	}
	return r, nil
}

// readMatch reads one match inside tx, its replay bytes only withReplay;
// ErrNotFound when there is no such match.
func readMatch(ctx context.Context, tx dbtx, matchID string, withReplay bool) (contract.MatchRecord, error) {
	r := contract.MatchRecord{}
	var applied any
	err := tx.queryRow(ctx, `SELECT `+strings.Join(matchColumns, ", ")+` FROM matches WHERE match_id = $1`, matchID).
		Scan(&r.MatchID, &r.RoomID, &r.ServerID, &r.Mode, &r.Arena, &r.ContentVersion, &r.Seed,
			&r.StartedAt, &r.EndedAt, &r.Ticks, &r.Outcome, &r.WinningTeam, &r.FinalHash, &applied)
	if errors.Is(err, errNoRows) {
		return r, persistence.ErrNotFound
	}
	if err != nil {
		return r, err
	}
	if err := scanEach(ctx, tx, `SELECT seat, player_id, team, result, kills, deaths, damage_dealt, damage_taken, healing, score
		FROM match_participants WHERE match_id = $1 ORDER BY seat`, []any{matchID}, func(rs rows) error {
		var p contract.Participant
		err := rs.Scan(&p.Seat, &p.PlayerID, &p.Team, &p.Result, &p.Kills, &p.Deaths, &p.DamageDealt, &p.DamageTaken, &p.Healing, &p.Score)
		r.Participants = append(r.Participants, p)
		return err
	}); err != nil {
		return r, err
	}
	if err := scanEach(ctx, tx, `SELECT player_id, currency, amount, item_id FROM match_rewards WHERE match_id = $1 ORDER BY seq`,
		[]any{matchID}, func(rs rows) error {
			var rw contract.Reward
			err := rs.Scan(&rw.PlayerID, &rw.Currency, &rw.Amount, &rw.ItemID)
			r.Rewards = append(r.Rewards, rw)
			return err
		}); err != nil {
		return r, err
	}
	if err := scanEach(ctx, tx, `SELECT player_id, entry_id, tick, detail FROM codex_entries WHERE match_id = $1 ORDER BY seq`,
		[]any{matchID}, func(rs rows) error {
			var c contract.CodexEntry
			err := rs.Scan(&c.PlayerID, &c.EntryID, &c.Tick, &c.Detail)
			r.Codex = append(r.Codex, c)
			return err
		}); err != nil {
		return r, err
	}
	if !withReplay {
		return r, nil
	}
	err = tx.queryRow(ctx, `SELECT inputs FROM replays WHERE match_id = $1`, matchID).Scan(&r.Replay)
	if errors.Is(err, errNoRows) {
		return r, nil
	}
	return r, err
}
