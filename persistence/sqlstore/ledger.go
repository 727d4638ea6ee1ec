package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pantheon-oracles/pantheon/persistence"
)

// Balance returns a wallet's balance; 0 for a wallet that never moved.
// playerID may also be HouseAccount or EscrowAccount(matchID).
func (s *sqlStore) Balance(ctx context.Context, playerID, currency string) (int64, error) {
	var b int64
	err := s.b.read(ctx, func(tx dbtx) error {
		err := tx.queryRow(ctx, `SELECT balance FROM wallets WHERE account = $1 AND currency = $2`, playerID, currency).Scan(&b)
		if errors.Is(err, errNoRows) {
			b = 0
			return nil
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("balance of %s/%s: %w", playerID, currency, err)
	}
	return b, nil
}

// Entries lists a wallet's ledger entries, oldest first.
func (s *sqlStore) Entries(ctx context.Context, playerID, currency string) ([]persistence.LedgerEntry, error) {
	var out []persistence.LedgerEntry
	err := s.b.read(ctx, func(tx dbtx) error {
		out = out[:0]
		rs, err := tx.query(ctx, `SELECT id, account, currency, amount, op_key, reason, created_at FROM ledger_entries
			WHERE account = $1 AND currency = $2 ORDER BY id`, playerID, currency)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var e persistence.LedgerEntry
			if err := rs.Scan(&e.ID, &e.PlayerID, &e.Currency, &e.Amount, &e.IdempotencyKey, &e.Reason, &e.CreatedAt); err != nil {
				return err
			}
			out = append(out, e)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("entries of %s/%s: %w", playerID, currency, err)
	}
	return out, nil
}

// Transfer moves t.Amount from t.From to t.To and returns the debit entry
// on t.From. A failed transfer (e.g. ErrInsufficientFunds) records nothing,
// so the same key may be retried later.
func (s *sqlStore) Transfer(ctx context.Context, t persistence.Transfer) (persistence.LedgerEntry, error) {
	if t.IdempotencyKey == "" || t.From == "" || t.To == "" || t.Currency == "" || t.Amount <= 0 || t.From == t.To {
		return persistence.LedgerEntry{}, invalid("transfer %q: need a key, two different players, a currency and an amount > 0", t.IdempotencyKey)
	}
	if accountKind(t.From) != "player" || accountKind(t.To) != "player" {
		return persistence.LedgerEntry{}, invalid("transfer %q: house and escrow accounts cannot transfer", t.IdempotencyKey)
	}
	from := walletKey{t.From, t.Currency}
	op := ledgerOp{
		key: t.IdempotencyKey, kind: "transfer", result: from, reason: "transfer",
		params: fmt.Sprintf("from=%s to=%s currency=%s amount=%d", t.From, t.To, t.Currency, t.Amount),
		posts:  []posting{{from, -t.Amount}, {walletKey{t.To, t.Currency}, t.Amount}},
	}
	e, err := s.runOp(ctx, op, nil)
	if err != nil {
		return persistence.LedgerEntry{}, fmt.Errorf("transfer %q: %w", t.IdempotencyKey, err)
	}
	return e, nil
}

// Grant credits (Amount > 0) or debits (Amount < 0) a player's wallet
// against the house and returns the player's entry.
func (s *sqlStore) Grant(ctx context.Context, g persistence.Grant) (persistence.LedgerEntry, error) {
	if g.IdempotencyKey == "" || g.PlayerID == "" || g.Currency == "" || g.Amount == 0 || accountKind(g.PlayerID) != "player" {
		return persistence.LedgerEntry{}, invalid("grant %q: need a key, a player, a currency and a non-zero amount", g.IdempotencyKey)
	}
	w := walletKey{g.PlayerID, g.Currency}
	reason := g.Reason
	if reason == "" {
		reason = "grant"
	}
	op := ledgerOp{
		key: g.IdempotencyKey, kind: "grant", result: w, reason: reason,
		params: fmt.Sprintf("player=%s currency=%s amount=%d reason=%s", g.PlayerID, g.Currency, g.Amount, g.Reason),
		posts:  []posting{{w, g.Amount}, {walletKey{persistence.HouseAccount, g.Currency}, -g.Amount}},
	}
	e, err := s.runOp(ctx, op, nil)
	if err != nil {
		return persistence.LedgerEntry{}, fmt.Errorf("grant %q: %w", g.IdempotencyKey, err)
	}
	return e, nil
}

// PlaceWager moves w.Amount from the player's wallet to the match's escrow
// and returns the player's debit entry. ErrWagersClosed once the match is
// settled or refunded.
func (s *sqlStore) PlaceWager(ctx context.Context, w persistence.Wager) (persistence.LedgerEntry, error) {
	if w.IdempotencyKey == "" || w.MatchID == "" || w.PlayerID == "" || w.Currency == "" || w.Amount <= 0 || accountKind(w.PlayerID) != "player" {
		return persistence.LedgerEntry{}, invalid("wager %q: need a key, a match, a player, a currency and an amount > 0", w.IdempotencyKey)
	}
	pw := walletKey{w.PlayerID, w.Currency}
	op := ledgerOp{
		key: w.IdempotencyKey, kind: "wager", result: pw, reason: "wager " + w.MatchID,
		params: fmt.Sprintf("match=%s player=%s currency=%s amount=%d", w.MatchID, w.PlayerID, w.Currency, w.Amount),
		posts:  []posting{{pw, -w.Amount}, {walletKey{persistence.EscrowAccount(w.MatchID), w.Currency}, w.Amount}},
	}
	// The wager book row is locked before the wallets: ApplyMatches and
	// RefundWagers close it under the same lock, so a wager either lands
	// before settlement (and is settled) or is refused.
	e, err := s.runOp(ctx, op, func(tx dbtx, now time.Time) error {
		if _, err := tx.exec(ctx, `INSERT INTO wager_books (match_id, state) VALUES ($1, 'open') ON CONFLICT (match_id) DO NOTHING`, w.MatchID); err != nil {
			return err
		}
		var state string
		if err := tx.queryRow(ctx, `SELECT state FROM wager_books WHERE match_id = $1`+tx.lockSuffix(), w.MatchID).Scan(&state); err != nil {
			return err
		}
		if state != "open" {
			return persistence.ErrWagersClosed
		}
		_, err := tx.exec(ctx, `INSERT INTO wagers (idempotency_key, match_id, player_id, currency, amount, state, placed_at)
			VALUES ($1, $2, $3, $4, $5, 'escrowed', $6)`, w.IdempotencyKey, w.MatchID, w.PlayerID, w.Currency, w.Amount, now)
		return err
	})
	if err != nil {
		return persistence.LedgerEntry{}, fmt.Errorf("wager %q on match %s: %w", w.IdempotencyKey, w.MatchID, err)
	}
	return e, nil
}

// runOp runs one API operation in its own transaction: claim the key
// (returning the first result on reuse), run before (if any), post.
func (s *sqlStore) runOp(ctx context.Context, op ledgerOp, before func(tx dbtx, now time.Time) error) (persistence.LedgerEntry, error) {
	var e persistence.LedgerEntry
	err := s.b.write(ctx, func(tx dbtx) error {
		now := s.clock()
		first, found, err := claimOp(ctx, tx, op, now)
		if err != nil || found {
			e = first
			return err
		}
		if before != nil {
			if err := before(tx, now); err != nil {
				return err
			}
		}
		entries, err := post(ctx, tx, []ledgerOp{op}, now, true)
		if err != nil {
			return err
		}
		e = entries[op.key][op.result]
		return nil
	})
	return e, err
}

// RefundWagers closes the match's wager book and returns every wager still
// in escrow to its player. Calling it again, or after settlement, is a no-op.
func (s *sqlStore) RefundWagers(ctx context.Context, matchID string) error {
	if matchID == "" {
		return invalid("refund wagers: empty match id")
	}
	err := s.b.write(ctx, func(tx dbtx) error {
		now := s.clock()
		if err := closeBooks(ctx, tx, []string{matchID}, now); err != nil {
			return err
		}
		open, err := escrowedWagers(ctx, tx, []string{matchID})
		if err != nil || len(open[matchID]) == 0 {
			return err
		}
		op, updates := refundOp("refund:"+matchID, matchID, open[matchID])
		if err := setWagerStates(ctx, tx, updates, now); err != nil {
			return err
		}
		if err := insertOps(ctx, tx, []ledgerOp{op}, now); err != nil {
			return err
		}
		_, err = post(ctx, tx, []ledgerOp{op}, now, false)
		return err
	})
	if err != nil {
		return fmt.Errorf("refund wagers of match %s: %w", matchID, err)
	}
	return nil
}
