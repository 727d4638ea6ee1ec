package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pantheon-oracles/pantheon/persistence"
)

// accountKind returns the wallets.kind of an account.
func accountKind(account string) string {
	switch {
	case account == persistence.HouseAccount:
		return "house"
	case strings.HasPrefix(account, persistence.EscrowAccount("")):
		return "escrow"
	}
	return "player"
}

// walletKey names one wallet.
type walletKey struct{ account, currency string }

// less orders wallets by currency, then account: the lock order.
func (a walletKey) less(b walletKey) bool {
	if a.currency != b.currency {
		return a.currency < b.currency
	}
	return a.account < b.account
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
func lookupOp(ctx context.Context, tx dbtx, op ledgerOp) (persistence.LedgerEntry, bool, error) {
	var kind, params string
	var res walletKey
	err := tx.queryRow(ctx, `SELECT kind, params, account, currency FROM ledger_ops WHERE idempotency_key = $1`, op.key).
		Scan(&kind, &params, &res.account, &res.currency)
	if errors.Is(err, errNoRows) {
		return persistence.LedgerEntry{}, false, nil
	}
	if err != nil {
		return persistence.LedgerEntry{}, false, err
	}
	if kind != op.kind || params != op.params {
		return persistence.LedgerEntry{}, true, fmt.Errorf("%w: key %q was a %s of %s", persistence.ErrIdempotencyMismatch, op.key, kind, params)
	}
	e := persistence.LedgerEntry{IdempotencyKey: op.key}
	err = tx.queryRow(ctx, `SELECT id, account, currency, amount, reason, created_at FROM ledger_entries
		WHERE op_key = $1 AND account = $2 AND currency = $3`, op.key, res.account, res.currency).
		Scan(&e.ID, &e.PlayerID, &e.Currency, &e.Amount, &e.Reason, &e.CreatedAt)
	if err != nil {
		return persistence.LedgerEntry{}, true, fmt.Errorf("result entry of %q: %w", op.key, err)
	}
	return e, true, nil
}

// claimOp records op.key, or returns the first result when the key is
// already taken (by an earlier call, or by a concurrent one that committed
// while this insert waited on it).
func claimOp(ctx context.Context, tx dbtx, op ledgerOp, now time.Time) (persistence.LedgerEntry, bool, error) {
	if e, found, err := lookupOp(ctx, tx, op); found || err != nil {
		return e, found, err
	}
	n, err := tx.exec(ctx, `INSERT INTO ledger_ops (idempotency_key, kind, params, account, currency, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO NOTHING`,
		op.key, op.kind, op.params, op.result.account, op.result.currency, now)
	if err != nil {
		return persistence.LedgerEntry{}, false, err
	}
	if n == 0 {
		return lookupOp(ctx, tx, op)
	}
	return persistence.LedgerEntry{}, false, nil
}

// insertOps records new operations without an idempotency check; used for
// match operations, whose keys derive from a match id the result
// transaction has just claimed.
func insertOps(ctx context.Context, tx dbtx, ops []ledgerOp, now time.Time) error {
	rows := make([][]any, len(ops))
	for i, op := range ops {
		rows[i] = []any{op.key, op.kind, op.params, op.result.account, op.result.currency, now}
	}
	_, err := insertRows(ctx, tx, "ledger_ops", []string{"idempotency_key", "kind", "params", "account", "currency", "created_at"}, rows, "")
	return err
}

// post applies the postings of ops whose keys are already recorded, in the
// lock order of lockorder.go: it locks every touched wallet but the
// house's in (currency, account) order, creating the missing ones; refuses
// with ErrInsufficientFunds when one would end below zero; writes their
// new balances and one entry per (op, wallet); and last moves the house
// wallets by their deltas. Callers run nothing after post but the commit.
// With want it returns the entries keyed by op key and wallet; without, it
// writes them in bulk (COPY on Postgres) and returns nil.
func post(ctx context.Context, tx dbtx, ops []ledgerOp, now time.Time, want bool) (map[string]map[walletKey]persistence.LedgerEntry, error) {
	sums := map[opWallet]int64{}
	var order []opWallet
	delta := map[walletKey]int64{}
	for i, op := range ops {
		for _, p := range op.posts {
			k := opWallet{i, p.wallet}
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
	var held, house []walletKey
	for w := range delta {
		if w.account == persistence.HouseAccount {
			house = append(house, w)
		} else {
			held = append(held, w)
		}
	}
	sort.Slice(held, func(i, j int) bool { return held[i].less(held[j]) })
	sort.Slice(house, func(i, j int) bool { return house[i].less(house[j]) })

	balance, err := readWallets(ctx, tx, held, true)
	if err != nil {
		return nil, err
	}
	// The house wallets are only checked for existence here (no lock).
	houseFound, err := readWallets(ctx, tx, house, false)
	if err != nil {
		return nil, err
	}
	var create [][]any
	for _, w := range held {
		if _, ok := balance[w]; !ok {
			create = append(create, walletRow(w))
		}
	}
	for _, w := range house {
		if _, ok := houseFound[w]; !ok {
			create = append(create, walletRow(w))
		}
	}
	if len(create) > 0 {
		if err := createMissing(ctx, tx, "wallets", walletColumns, create); err != nil {
			return nil, err
		}
	}
	updates := make([][]any, 0, len(held))
	for _, w := range held {
		nb := balance[w] + delta[w]
		if nb < 0 {
			return nil, fmt.Errorf("%w: wallet %s/%s holds %d, needs %d", persistence.ErrInsufficientFunds, w.account, w.currency, balance[w], -delta[w])
		}
		if delta[w] != 0 {
			updates = append(updates, []any{w.account, w.currency, nb})
		}
	}
	// Every held row exists and is locked: update them all at once.
	if err := tx.updateRows(ctx, "wallets", []string{"account", "currency"}, []string{"balance"}, updates); err != nil {
		return nil, err
	}
	out, err := insertEntries(ctx, tx, ops, order, sums, now, want)
	if err != nil {
		return nil, err
	}
	var houseMoves [][]any
	for _, w := range house {
		if delta[w] != 0 {
			houseMoves = append(houseMoves, []any{w.account, w.currency, delta[w]})
		}
	}
	if err := tx.execMany(ctx, `UPDATE wallets SET balance = balance + $3 WHERE account = $1 AND currency = $2`, houseMoves); err != nil {
		return nil, fmt.Errorf("move house wallets: %w", err)
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

// opWallet names the entry of one operation on one wallet.
type opWallet struct {
	op     int // index in the operations posted
	wallet walletKey
}

// entryColumns are the ledger_entries columns insertEntries writes.
var entryColumns = []string{"account", "currency", "amount", "op_key", "reason", "created_at"}

// insertEntries writes one ledger entry per (op, wallet) of order with a
// non-zero sum. With want it returns the entries keyed by op key and
// wallet; without, it writes them in bulk (COPY on Postgres).
func insertEntries(ctx context.Context, tx dbtx, ops []ledgerOp, order []opWallet, sums map[opWallet]int64, now time.Time, want bool) (map[string]map[walletKey]persistence.LedgerEntry, error) {
	if !want {
		entries := make([][]any, 0, len(order))
		for _, k := range order {
			if sums[k] != 0 {
				op := ops[k.op]
				entries = append(entries, []any{k.wallet.account, k.wallet.currency, sums[k], op.key, op.reason, now})
			}
		}
		return nil, tx.bulkInsert(ctx, "ledger_entries", entryColumns, entries)
	}
	out := make(map[string]map[walletKey]persistence.LedgerEntry, len(ops))
	per := maxParams / len(entryColumns)
	for len(order) > 0 {
		n := min(per, len(order))
		args := make([]any, 0, n*len(entryColumns))
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
		err := scanEach(ctx, tx, `INSERT INTO ledger_entries (`+strings.Join(entryColumns, ", ")+`) VALUES `+
			placeholders(1, len(args)/len(entryColumns), len(entryColumns))+` RETURNING id, account, currency, amount, op_key, reason, created_at`,
			args, func(rs rows) error {
				var e persistence.LedgerEntry
				if err := rs.Scan(&e.ID, &e.PlayerID, &e.Currency, &e.Amount, &e.IdempotencyKey, &e.Reason, &e.CreatedAt); err != nil {
					return err
				}
				if out[e.IdempotencyKey] == nil {
					out[e.IdempotencyKey] = map[walletKey]persistence.LedgerEntry{}
				}
				out[e.IdempotencyKey][walletKey{e.PlayerID, e.Currency}] = e
				return nil
			})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readWallets returns the balances of the existing wallets among
// wallets (sorted by currency, then account), locking them in that order
// when lock is set: one statement per currency.
func readWallets(ctx context.Context, tx dbtx, wallets []walletKey, lock bool) (map[walletKey]int64, error) {
	balance := make(map[walletKey]int64, len(wallets))
	q := keyedSelect{table: "wallets", cols: "account, balance", group: "currency", key: "account", order: "account", lock: lock}
	err := selectGrouped(ctx, tx, q, len(wallets), func(i int) (string, string) { return wallets[i].currency, wallets[i].account },
		func(currency string, rs rows) error {
			w := walletKey{currency: currency}
			var b int64
			if err := rs.Scan(&w.account, &b); err != nil {
				return err
			}
			balance[w] = b
			return nil
		})
	return balance, err
}
