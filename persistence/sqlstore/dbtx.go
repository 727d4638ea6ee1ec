package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The store's queries are written once, in the SQL that PostgreSQL and
// SQLite share ($n placeholders, ON CONFLICT, RETURNING), and run on a dbtx.
// Each backend adapts its driver's transaction to it and converts the few
// types the two disagree on (see encodeArg and the scan wrappers).

// dbtx is one open transaction of either backend.
type dbtx interface {
	// exec runs a statement and returns the rows it affected.
	exec(ctx context.Context, q string, args ...any) (int64, error)
	// query runs a statement returning rows; the caller closes them.
	query(ctx context.Context, q string, args ...any) (rows, error)
	// queryRow runs a statement returning at most one row; Scan reports
	// errNoRows when there is none.
	queryRow(ctx context.Context, q string, args ...any) row
	// execMany runs q once per argument list, pipelined where the driver can.
	execMany(ctx context.Context, q string, argLists [][]any) error
	// bulkInsert appends rows to table (columns in order). The Postgres
	// backend uses COPY (BulkCopy) or one INSERT ... SELECT FROM unnest of
	// one array per column (BulkBatched); SQLite multi-row INSERTs.
	bulkInsert(ctx context.Context, table string, columns []string, rows [][]any) error
	// updateRows sets setCols of existing rows found by keyCols. Each row
	// holds the key values then the set values, each column of one Go type
	// (string, int, int64, float64, time.Time or []byte), none NULL. The
	// Postgres backend sends one UPDATE ... FROM unnest(...) statement;
	// SQLite runs one prepared UPDATE per row.
	updateRows(ctx context.Context, table string, keyCols, setCols []string, rows [][]any) error
	// selectKeyed runs q with group as the value of q.group and calls
	// each for every row found whose q.key is one of keys, in q.order.
	// Postgres sends one statement with keys as one array parameter, so
	// its text (and cached plan) does not depend on how many keys there
	// are; SQLite sends IN lists in chunks within maxParams.
	selectKeyed(ctx context.Context, q keyedSelect, group string, keys []string, each func(rows) error) error
	// lockSuffix is appended to SELECTs that must lock the rows they read:
	// " FOR NO KEY UPDATE" on Postgres (what an UPDATE of non-key columns
	// takes, so foreign-key checks of other transactions, which take KEY
	// SHARE, are not blocked), "" on SQLite (whose writers are serialized).
	lockSuffix() string
}

// keyedSelect is a SELECT of the rows with one value of a group column
// and any of a set of values of a key column: SELECT cols FROM table WHERE
// group = $group AND key IN (keys) [AND where] ORDER BY order [locking].
// With (group, key) or (key, group) the table's primary key, Postgres
// answers with one index scan that returns the rows in key order.
type keyedSelect struct {
	table string
	cols  string // the select list
	group string // the column matched with the group value, or "" for none
	key   string // the text column matched against the keys
	where string // an extra condition, or ""
	order string // the ORDER BY list: the lock order when lock is set
	lock  bool   // lock the rows read (see lockSuffix)
}

// sql is the statement text of q with the key condition in, the group
// value as parameter $groupParam.
func (q keyedSelect) sql(in string, groupParam int, lockSuffix string) string {
	sql := "SELECT " + q.cols + " FROM " + q.table + " WHERE " + in
	if q.group != "" {
		sql += fmt.Sprintf(" AND %s = $%d", q.group, groupParam)
	}
	if q.where != "" {
		sql += " AND " + q.where
	}
	sql += " ORDER BY " + q.order
	if q.lock {
		sql += lockSuffix
	}
	return sql
}

// rows is a result set; Close must be called.
type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// row is one result row.
type row interface {
	Scan(dest ...any) error
}

// placeholders returns "($s,$s+1,...),(...)" for n rows of width columns,
// numbering from start.
func placeholders(start, n, width int) string {
	var b strings.Builder
	p := start
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := 0; j < width; j++ {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "$%d", p)
			p++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// inList returns "$s,$s+1,...,$s+n-1" for an IN (...) list.
func inList(start, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "$%d", start+i)
	}
	return b.String()
}

// maxParams bounds the parameters of one statement, under both SQLite's
// (32766) and Postgres's (65535) limits.
const maxParams = 30000

// insertRows appends rows with multi-row INSERT statements, each within
// maxParams parameters, and returns how many rows were inserted. suffix
// (e.g. "ON CONFLICT DO NOTHING") ends each.
func insertRows(ctx context.Context, tx dbtx, table string, columns []string, rows [][]any, suffix string) (int64, error) {
	per := maxParams / len(columns)
	head := "INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES "
	var inserted int64
	for len(rows) > 0 {
		n := min(per, len(rows))
		args := make([]any, 0, n*len(columns))
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		k, err := tx.exec(ctx, head+placeholders(1, n, len(columns))+" "+suffix, args...)
		if err != nil {
			return inserted, fmt.Errorf("insert %s: %w", table, err)
		}
		inserted += k
		rows = rows[n:]
	}
	return inserted, nil
}

// encodeArg converts the Go values the store passes that a driver would
// refuse or store ambiguously: a zero time becomes NULL, a non-zero time is
// handed to enc (the backend's time representation), a uint64 keeps its bit
// pattern in an int64.
func encodeArg(v any, enc func(time.Time) any) any {
	switch x := v.(type) {
	case time.Time:
		if x.IsZero() {
			return nil
		}
		return enc(x)
	case uint64:
		return int64(x)
	}
	return v
}

// encodeArgs applies encodeArg to every argument, in place.
func encodeArgs(args []any, enc func(time.Time) any) []any {
	for i, a := range args {
		args[i] = encodeArg(a, enc)
	}
	return args
}

// scanFunc is a driver's Scan.
type scanFunc func(dest ...any) error

// scanConverted scans through scan, decoding *time.Time (NULL gives the zero
// time) with dec and *uint64 from its int64 bit pattern. dec receives what the
// driver produced for the time column.
func scanConverted(scan scanFunc, dec func(src any) (time.Time, error), dest []any) error {
	var fix []func() error
	tmp := make([]any, len(dest))
	for i, d := range dest {
		switch p := d.(type) {
		case *time.Time:
			var raw any
			tmp[i] = &raw
			fix = append(fix, func() error {
				if raw == nil {
					*p = time.Time{}
					return nil
				}
				t, err := dec(raw)
				*p = t
				return err
			})
		case *uint64:
			var raw int64
			tmp[i] = &raw
			fix = append(fix, func() error { *p = uint64(raw); return nil })
		default:
			tmp[i] = d
		}
	}
	if err := scan(tmp...); err != nil {
		return err
	}
	for _, f := range fix {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

// selectKeyedChunks is selectKeyed with IN lists of at most maxParams
// parameters (SQLite). Rows come in q.order within each chunk; callers
// that lock pass keys sorted in that order.
func selectKeyedChunks(ctx context.Context, tx dbtx, q keyedSelect, group string, keys []string, each func(rows) error) error {
	for len(keys) > 0 {
		n := min(len(keys), maxParams-1)
		args := make([]any, 0, n+1)
		for _, k := range keys[:n] {
			args = append(args, k)
		}
		if q.group != "" {
			args = append(args, group)
		}
		if err := scanEach(ctx, tx, q.sql(q.key+" IN ("+inList(1, n)+")", n+1, tx.lockSuffix()), args, each); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

// selectGrouped runs q once per run of keys with the same group (the n
// keys sorted by group, then key; at returns the i-th), with that group
// and the run's keys, and calls each with the group and every row.
func selectGrouped(ctx context.Context, tx dbtx, q keyedSelect, n int, at func(i int) (group, key string),
	each func(group string, rs rows) error) error {
	for start := 0; start < n; {
		group, _ := at(start)
		var keys []string
		for ; start < n; start++ {
			g, k := at(start)
			if g != group {
				break
			}
			keys = append(keys, k)
		}
		if err := tx.selectKeyed(ctx, q, group, keys, func(rs rows) error { return each(group, rs) }); err != nil {
			return err
		}
	}
	return nil
}

// scanEach runs a query and calls each for every row.
func scanEach(ctx context.Context, tx dbtx, q string, args []any, each func(rows) error) error {
	rs, err := tx.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		if err := each(rs); err != nil {
			return err
		}
	}
	return rs.Err()
}

// updateSQL returns the one-row UPDATE of updateRows: SET columns take
// $k+1.., WHERE keys $1..$k.
func updateSQL(table string, keyCols, setCols []string) string {
	var b strings.Builder
	b.WriteString("UPDATE " + table + " SET ")
	for i, c := range setCols {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s = $%d", c, len(keyCols)+i+1)
	}
	b.WriteString(" WHERE ")
	for i, c := range keyCols {
		if i > 0 {
			b.WriteString(" AND ")
		}
		fmt.Fprintf(&b, "%s = $%d", c, i+1)
	}
	return b.String()
}
