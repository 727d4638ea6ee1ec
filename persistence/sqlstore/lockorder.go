package sqlstore

import (
	"context"
	"errors"
	"fmt"
)

// Lock order. Every write transaction that locks rows of several kinds
// takes them in this order, and the rows of one kind sorted by key, so two
// transactions never wait on each other in a cycle:
//
//  1. ledger_ops keys claimed by API operations (claimOp);
//  2. matches rows, inserted in match id order (ApplyMatches);
//  3. ratings rows, by (mode, player);
//  4. wager_books rows, by match id;
//  5. wagers rows, by (match id, idempotency key);
//  6. wallets other than the house's, by (currency, account);
//  7. the house wallets, by currency, in the last statement before commit.
//
// The house wallet takes a posting from every reward and grant, so it is
// the one row every result transaction shares: it is updated last (a
// relative UPDATE that reads no balance, since the house may go negative)
// and so held only while the transaction commits. Ledger entries that
// reference it are inserted before that; their foreign-key checks take KEY
// SHARE locks, which do not conflict with the NO KEY UPDATE lock (see
// lockSuffix) of a concurrent transaction updating it.
//
// Rows that do not exist yet (a player's first rating in a mode, a first
// wallet in a currency) are created in their phase, after the existing
// rows of that phase are locked, in key order, with INSERT ... ON CONFLICT
// DO NOTHING: a created row is locked by its insert and invisible to
// others until commit. When the insert finds that another transaction
// created and committed one of them in the meantime, locking that row now
// would break the order, so the transaction fails with errRelock and the
// backend runs it again from the start, this time finding the row.

// errRelock reports rows created concurrently by another transaction
// between this transaction's locking read and its insert; write runs the
// transaction again.
var errRelock = errors.New("persistence: rows created concurrently; rerun to lock them in order")

// createMissing inserts rows (sorted in the lock order, keys distinct)
// into table with ON CONFLICT DO NOTHING and returns errRelock unless this
// transaction created every one of them.
func createMissing(ctx context.Context, tx dbtx, table string, columns []string, rows [][]any) error {
	n, err := insertRows(ctx, tx, table, columns, rows, "ON CONFLICT DO NOTHING")
	if err != nil {
		return err
	}
	if n != int64(len(rows)) {
		return fmt.Errorf("create %d %s rows, %d new: %w", len(rows), table, n, errRelock)
	}
	return nil
}
