package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunMigrate(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "d", "p.db")
	run := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := runMigrate(context.Background(), args, &out, &errOut)
		return code, out.String() + errOut.String()
	}
	if code, out := run("status", "--db", db); code != 0 || !strings.Contains(out, "pending") || strings.Contains(out, "0 pending") {
		t.Fatalf("status before up: %d %q", code, out)
	}
	if code, out := run("up", "--db", db); code != 0 || !strings.Contains(out, "applied 0001") {
		t.Fatalf("up: %d %q", code, out)
	}
	if code, out := run("--db", db, "up"); code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("second up: %d %q", code, out)
	}
	if code, out := run("status", "--db", db); code != 0 || !strings.Contains(out, "0 pending") {
		t.Fatalf("status after up: %d %q", code, out)
	}
	if code, _ := run("sideways", "--db", db); code != 2 {
		t.Fatalf("unknown verb exit %d, want 2", code)
	}
	if code, _ := run("up", "--db", "mysql://nope"); code != 1 {
		t.Fatalf("bad URL exit %d, want 1", code)
	}
}
