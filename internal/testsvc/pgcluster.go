package testsvc

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// PGCluster is a private PostgreSQL cluster for tests that must stop, kill
// or restart the database: the shared server of PANTHEON_TEST_POSTGRES is
// used by other packages' tests at the same time and is never touched. It
// listens on 127.0.0.1 on a free port, trusts every local connection, and
// runs as the postgres user when the test runs as root. Its methods fail
// the test (t.Fatal) on error and must be called from the test's goroutine.
type PGCluster struct {
	t      testing.TB
	bin    string // directory of initdb, pg_ctl
	dir    string // owned by the cluster's user: data/, the socket, the log
	port   int
	asUser string // "" or the user to run the server as (runuser)
}

// StartPGCluster creates and starts a private cluster and registers its
// cleanup (an immediate stop and removal of its directory, even when the
// test fails). Without the server binaries (pg_config --bindir, else
// /usr/lib/postgresql/*/bin) the test is skipped, or fails when
// PANTHEON_REQUIRE_SERVICES=1. Migrations are the caller's.
func StartPGCluster(t testing.TB) *PGCluster {
	t.Helper()
	bin, err := pgBinDir()
	if err != nil {
		msg := "private postgres: " + err.Error()
		if Required() {
			t.Fatal(msg + " (" + EnvRequire + "=1 forbids skipping)")
		}
		t.Skip(msg)
	}
	dir, err := os.MkdirTemp("", "pantheon-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c := &PGCluster{t: t, bin: bin, dir: dir}
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
	c.port = freePort(t)
	c.Start()
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

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (c *PGCluster) data() string { return filepath.Join(c.dir, "data") }

// run prepares a server binary invocation, as the cluster's user.
func (c *PGCluster) run(prog string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, prog)
	if c.asUser == "" {
		return exec.Command(path, args...)
	}
	return exec.Command("runuser", append([]string{"-u", c.asUser, "--", path}, args...)...)
}

// URL is the cluster's connection URL (database postgres, user postgres,
// a 5 s connect timeout). It stays the same across stops and restarts.
func (c *PGCluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=5", c.port)
}

// Start starts the stopped (or killed) server and waits, at most a minute,
// until it accepts connections. After a kill the old backends may linger
// for a moment holding shared memory, so a refused start is retried until
// that deadline.
func (c *PGCluster) Start() {
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

// Stop shuts the server down the way an operator stopping it would (fast
// mode: open sessions are disconnected, nothing is lost) and waits until
// it has stopped. Connections are refused until Start.
func (c *PGCluster) Stop() {
	c.t.Helper()
	if out, err := c.run("pg_ctl", "-D", c.data(), "-m", "fast", "-w", "-t", "60", "stop").CombinedOutput(); err != nil {
		c.t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}

// Kill kills the postmaster with SIGKILL (a crash, not a shutdown).
func (c *PGCluster) Kill() {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join(c.data(), "postmaster.pid"))
	if err != nil {
		c.t.Fatalf("postmaster.pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		c.t.Fatalf("postmaster.pid: %v", err)
	}
	if err := killPID(pid); err != nil {
		c.t.Fatalf("kill -9 postgres %d: %v", pid, err)
	}
}

// Restart crashes the server (Kill) and starts it again (Start).
func (c *PGCluster) Restart() {
	c.t.Helper()
	c.Kill()
	c.Start()
}

// destroy stops the server (immediately) and removes its directory.
func (c *PGCluster) destroy() {
	if _, err := os.Stat(filepath.Join(c.data(), "postmaster.pid")); err == nil {
		_ = c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "-t", "30", "stop").Run()
	}
	_ = os.RemoveAll(c.dir)
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// killPID terminates pid at once: SIGKILL on Unix, TerminateProcess on
// Windows (os.Process.Kill on either).
func killPID(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	defer p.Release()
	return p.Kill()
}
