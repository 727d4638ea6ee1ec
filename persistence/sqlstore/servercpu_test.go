package sqlstore_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
)

// serverCPU measures the CPU time of the Postgres server processes that
// serve the connections tagged with one application_name, from
// /proc/<pid>/schedstat (nanoseconds on a CPU). It works only when the
// server runs on this host and its /proc entries are readable; otherwise
// ok is false and benchmarks leave the metric out.
type serverCPU struct {
	conn  *pgx.Conn
	app   string
	start map[int32]time.Duration
}

// withApplicationName returns dbURL with application_name set to app.
func withApplicationName(dbURL, app string) (string, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// startServerCPU samples the tagged server processes now.
func startServerCPU(ctx context.Context, dbURL, app string) (*serverCPU, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	c := &serverCPU{conn: conn, app: app}
	c.start, err = c.sample(ctx)
	if err != nil {
		conn.Close(ctx)
		return nil, err
	}
	return c, nil
}

// sample reads the CPU time of every tagged server process.
func (c *serverCPU) sample(ctx context.Context) (map[int32]time.Duration, error) {
	rs, err := c.conn.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, c.app)
	if err != nil {
		return nil, err
	}
	pids, err := pgx.CollectRows(rs, pgx.RowTo[int32])
	if err != nil {
		return nil, err
	}
	out := make(map[int32]time.Duration, len(pids))
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/schedstat", pid))
		if err != nil {
			return nil, err
		}
		var ns int64
		if _, err := fmt.Sscan(string(b), &ns); err != nil {
			return nil, fmt.Errorf("/proc/%d/schedstat: %w", pid, err)
		}
		out[pid] = time.Duration(ns)
	}
	return out, nil
}

// used returns the CPU time the tagged server processes used since
// startServerCPU (all of it for processes started since), and closes c.
func (c *serverCPU) used(ctx context.Context) (d time.Duration, ok bool) {
	defer c.conn.Close(ctx)
	now, err := c.sample(ctx)
	if err != nil || len(now) == 0 {
		return 0, false
	}
	for pid, t := range now {
		d += t - c.start[pid]
	}
	return d, true
}
