package outbox_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pantheon-oracles/pantheon/persistence/internal/storetest"
)

// pgCluster is a private PostgreSQL cluster for tests that must kill or
// restart the database (the shared server on 5432 is used by other
// packages' tests at the same time and is never touched). It runs as the
// postgres user when the test runs as root.
type pgCluster struct {
	t      testing.TB
	bin    string // directory of initdb, pg_ctl
	dir    string // owned by the cluster's user: data/, the socket, the log
	port   int
	asUser string // "" or the user to run the server as (runuser)
}

// startPGCluster creates, starts and registers the cleanup (stop and
// remove, even on failure) of a private cluster.
func startPGCluster(t testing.TB) *pgCluster {
	t.Helper()
	bin, err := pgBinDir()
	if err != nil {
		t.Fatalf("private postgres: %v", err)
	}
	dir, err := os.MkdirTemp("", "pantheon-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c := &pgCluster{t: t, bin: bin, dir: dir}
	t.Cleanup(c.destroy)
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("private postgres: running as root needs a postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.asUser = "postgres"
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := c.run("initdb", "-D", c.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	c.port = storetest.FreePort(t)
	c.start()
	return c
}

// pgBinDir finds the server binaries: pg_config --bindir, else the newest
// /usr/lib/postgresql/*/bin.
func pgBinDir() (string, error) {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dir := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		return "", fmt.Errorf("no initdb found (pg_config --bindir, /usr/lib/postgresql/*/bin)")
	}
	return filepath.Dir(matches[len(matches)-1]), nil
}

func (c *pgCluster) data() string { return filepath.Join(c.dir, "data") }

// run prepares a server binary invocation, as the cluster's user.
func (c *pgCluster) run(prog string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, prog)
	if c.asUser == "" {
		return exec.Command(path, args...)
	}
	return exec.Command("runuser", append([]string{"-u", c.asUser, "--", path}, args...)...)
}

// URL is the cluster's connection URL.
func (c *pgCluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=5", c.port)
}

// start starts the server and waits (bounded) until it accepts
// connections. After a kill -9 the old backends may linger for a moment
// holding shared memory, so a refused start is retried until a deadline.
func (c *pgCluster) start() {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := c.run("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.dir, "log"), "-w", "-t", "30",
			"-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", c.port, c.dir), "start").CombinedOutput()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
			c.t.Fatalf("pg_ctl start: %v\n%s\nserver log:\n%s", err, out, tail(string(log), 3000))
		}
		time.Sleep(200 * time.Millisecond) // pg_ctl itself has no retry
	}
}

// kill9 kills the postmaster with SIGKILL (a crash, not a shutdown).
func (c *pgCluster) kill9() {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join(c.data(), "postmaster.pid"))
	if err != nil {
		c.t.Fatalf("postmaster.pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		c.t.Fatalf("postmaster.pid: %v", err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		c.t.Fatalf("kill -9 postgres %d: %v", pid, err)
	}
}

// restart kills the server with SIGKILL and starts it again.
func (c *pgCluster) restart() {
	c.t.Helper()
	c.kill9()
	c.start()
}

// destroy stops the server (immediately) and removes its directory.
func (c *pgCluster) destroy() {
	if _, err := os.Stat(filepath.Join(c.data(), "postmaster.pid")); err == nil {
		_ = c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "-t", "30", "stop").Run()
	}
	_ = os.RemoveAll(c.dir)
}

// connect opens a plain connection for checks.
func (c *pgCluster) connect(ctx context.Context) (*pgx.Conn, error) { return pgx.Connect(ctx, c.URL()) }

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
