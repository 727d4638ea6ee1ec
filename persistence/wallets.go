package persistence

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Ledger accounts besides players.
const (
	// HouseAccount issues and absorbs currency (grants, rewards, purchases).
	// It is the only wallet allowed below zero: its balance is minus the
	// money in circulation.
	HouseAccount = "house"
	// escrowPrefix + match id holds the wagers of one match until settlement.
	escrowPrefix = "escrow:"
)

// EscrowAccount returns the ledger account holding a match's wagers.
func EscrowAccount(matchID string) string { return escrowPrefix + matchID }

// accountKind returns the wallets.kind of an account.
func accountKind(account string) string {
	switch {
	case account == HouseAccount:
		return "house"
	case strings.HasPrefix(account, escrowPrefix):
		return "escrow"
	}
	return "player"
}

// walletKey names one wallet.
type walletKey struct{ account, currency string }

func (a walletKey) less(b walletKey) bool {
	if a.account != b.account {
		return a.account < b.account
	}
	return a.currency < b.currency
}

// posting is one signed movement on one wallet.
type posting struct {
	wallet walletKey
	amount int64
}

// ledgerOp is one idempotent ledger operation: its row in ledger_ops and
// its postings, which sum to zero per currency (double entry).
type ledgerOp struct {
	key    string
	kind   string
	params string    // canonical parameters, compared when the key is reused
	result walletKey // the wallet whose entry is the operation's result
	reason string
	posts  []posting
}

// lookupOp returns the stored result of an operation already recorded
// under op.key: found is false when the key is new; ErrIdempotencyMismatch
// when it was used with other parameters.
func lookupOp(ctx context.Context, tx dbtx, op ledgerOp) (LedgerEntry, bool, error) {
	var kind, params string
	var res walletKey
	err := tx.queryRow(ctx, `SELECT kind, params, account, currency FROM ledger_ops WHERE idempotency_key = $1`, op.key).
		Scan(&kind, &params, &res.account, &res.currency)
	if errors.Is(err, errNoRows) {
		return LedgerEntry{}, false, nil
	}
	if err != nil {
		return LedgerEntry{}, false, err
	}
	if kind != op.kind || params != op.params {
		return LedgerEntry{}, true, fmt.Errorf("%w: key %q was a %s of %s", ErrIdempotencyMismatch, op.key, kind, params)
	}
	e := LedgerEntry{IdempotencyKey: op.key}
	err = tx.queryRow(ctx, `SELECT id, account, currency, amount, reason, created_at FROM ledger_entries
		WHERE op_key = $1 AND account = $2 AND currency = $3`, op.key, res.account, res.currency).
		Scan(&e.ID, &e.PlayerID, &e.Currency, &e.Amount, &e.Reason, &e.CreatedAt)
	if err != nil {
		return LedgerEntry{}, true, fmt.Errorf("result entry of %q: %w", op.key, err)
	}
	return e, true, nil
}

// claimOp records op.key, or returns the first result when the key is
// already taken (by an earlier call, or by a concurrent one that committed
// while this insert waited on it).
func claimOp(ctx context.Context, tx dbtx, op ledgerOp, now time.Time) (LedgerEntry, bool, error) {
	if e, found, err := lookupOp(ctx, tx, op); found || err != nil {
		return e, found, err
	}
	n, err := tx.exec(ctx, `INSERT INTO ledger_ops (idempotency_key, kind, params, account, currency, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO NOTHING`,
		op.key, op.kind, op.params, op.result.account, op.result.currency, now)
	if err != nil {
		return LedgerEntry{}, false, err
	}
	if n == 0 {
		return lookupOp(ctx, tx, op)
	}
	return LedgerEntry{}, false, nil
}

// insertOps records new operations without an idempotency check; used for
// match operations, whose keys derive from a match id the result
// transaction has just claimed.
func insertOps(ctx context.Context, tx dbtx, ops []ledgerOp, now time.Time) error {
	rows := make([][]any, len(ops))
	for i, op := range ops {
		rows[i] = []any{op.key, op.kind, op.params, op.result.account, op.result.currency, now}
	}
	return insertRows(ctx, tx, "ledger_ops", []string{"idempotency_key", "kind", "params", "account", "currency", "created_at"}, rows, "")
}

// post applies the postings of ops whose keys are already recorded: it
// creates missing wallets, locks every touched wallet in (account,
// currency) order, refuses with ErrInsufficientFunds when a non-house
// wallet would end below zero, writes the new balances and one entry per
// (op, wallet). With want it returns the entries keyed by op key and
// wallet; without, it writes them in bulk (COPY on Postgres) and returns nil.
func post(ctx context.Context, tx dbtx, ops []ledgerOp, now time.Time, want bool) (map[string]map[walletKey]LedgerEntry, error) {
	type agg struct {
		op     int
		wallet walletKey
	}
	sums := map[agg]int64{}
	var order []agg
	delta := map[walletKey]int64{}
	for i, op := range ops {
		for _, p := range op.posts {
			k := agg{i, p.wallet}
			if _, ok := sums[k]; !ok {
				order = append(order, k)
			}
			sums[k] += p.amount
			delta[p.wallet] += p.amount
		}
	}
	if len(delta) == 0 {
		return nil, nil
	}
	wallets := make([]walletKey, 0, len(delta))
	for w := range delta {
		wallets = append(wallets, w)
	}
	sort.Slice(wallets, func(i, j int) bool { return wallets[i].less(wallets[j]) })

	// Lock the wallets that exist; create the missing ones (locked by their
	// insert) and read them back.
	balance, err := lockWallets(ctx, tx, wallets)
	if err != nil {
		return nil, err
	}
	var missing []walletKey
	for _, w := range wallets {
		if _, ok := balance[w]; !ok {
			missing = append(missing, w)
		}
	}
	if len(missing) > 0 {
		ensure := make([][]any, len(missing))
		for i, w := range missing {
			ensure[i] = walletRow(w)
		}
		if err := insertRows(ctx, tx, "wallets", walletColumns, ensure, "ON CONFLICT (account, currency) DO NOTHING"); err != nil {
			return nil, err
		}
		more, err := lockWallets(ctx, tx, missing)
		if err != nil {
			return nil, err
		}
		for w, b := range more {
			balance[w] = b
		}
	}
	updates := make([][]any, 0, len(wallets))
	for _, w := range wallets {
		nb := balance[w] + delta[w]
		if nb < 0 && w.account != HouseAccount {
			return nil, fmt.Errorf("%w: wallet %s/%s holds %d, needs %d", ErrInsufficientFunds, w.account, w.currency, balance[w], -delta[w])
		}
		if delta[w] != 0 {
			updates = append(updates, []any{w.account, w.currency, nb})
		}
	}
	// Every row exists and is locked: update them all at once.
	if err := tx.updateRows(ctx, "wallets", []string{"account", "currency"}, []string{"balance"},
		[]string{"text", "text", "int8"}, updates); err != nil {
		return nil, err
	}

	cols := []string{"account", "currency", "amount", "op_key", "reason", "created_at"}
	if !want {
		entries := make([][]any, 0, len(order))
		for _, k := range order {
			if sums[k] != 0 {
				op := ops[k.op]
				entries = append(entries, []any{k.wallet.account, k.wallet.currency, sums[k], op.key, op.reason, now})
			}
		}
		return nil, tx.bulkInsert(ctx, "ledger_entries", cols, entries)
	}
	out := make(map[string]map[walletKey]LedgerEntry, len(ops))
	per := maxParams / len(cols)
	for len(order) > 0 {
		n := min(per, len(order))
		args := make([]any, 0, n*len(cols))
		for _, k := range order[:n] {
			if sums[k] == 0 {
				continue
			}
			op := ops[k.op]
			args = append(args, k.wallet.account, k.wallet.currency, sums[k], op.key, op.reason, now)
		}
		order = order[n:]
		if len(args) == 0 {
			continue
		}
		rs, err := tx.query(ctx, `INSERT INTO ledger_entries (`+strings.Join(cols, ", ")+`) VALUES `+
			placeholders(1, len(args)/len(cols), len(cols))+` RETURNING id, account, currency, amount, op_key, reason, created_at`, args...)
		if err != nil {
			return nil, err
		}
		for rs.Next() {
			var e LedgerEntry
			if err := rs.Scan(&e.ID, &e.PlayerID, &e.Currency, &e.Amount, &e.IdempotencyKey, &e.Reason, &e.CreatedAt); err != nil {
				rs.Close()
				return nil, err
			}
			if out[e.IdempotencyKey] == nil {
				out[e.IdempotencyKey] = map[walletKey]LedgerEntry{}
			}
			out[e.IdempotencyKey][walletKey{e.PlayerID, e.Currency}] = e
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// walletColumns are the columns walletRow fills.
var walletColumns = []string{"account", "currency", "kind", "player_id"}

// walletRow is the wallets row of a new, empty wallet.
func walletRow(w walletKey) []any {
	kind := accountKind(w.account)
	var player any
	if kind == "player" {
		player = w.account
	}
	return []any{w.account, w.currency, kind, player}
}

// lockWallets locks the given wallets (sorted, existing) and returns their
// balances.
func lockWallets(ctx context.Context, tx dbtx, wallets []walletKey) (map[walletKey]int64, error) {
	balance := make(map[walletKey]int64, len(wallets))
	for ws := wallets; len(ws) > 0; {
		n := min(len(ws), maxParams/2)
		args := make([]any, 0, 2*n)
		for _, w := range ws[:n] {
			args = append(args, w.account, w.currency)
		}
		rs, err := tx.query(ctx, `SELECT account, currency, balance FROM wallets WHERE (account, currency) IN (VALUES `+
			placeholders(1, n, 2)+`) ORDER BY account, currency`+tx.lockSuffix(), args...)
		if err != nil {
			return nil, err
		}
		for rs.Next() {
			var w walletKey
			var b int64
			if err := rs.Scan(&w.account, &w.currency, &b); err != nil {
				rs.Close()
				return nil, err
			}
			balance[w] = b
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return nil, err
		}
		ws = ws[n:]
	}
	return balance, nil
}
