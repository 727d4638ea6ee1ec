package main

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/pantheon-oracles/pantheon/internal/buildinfo"
)

// TestVersionCommand: `pantheon version` prints version, commit and Go
// version; --json the same as an object; an argument is a usage error.
func TestVersionCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := dispatch(context.Background(), []string{"version"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	info := buildinfo.Get()
	if want := "pantheon " + info.Version + " (commit " + info.Commit + ", " + runtime.Version() + ")\n"; out.String() != want {
		t.Fatalf("printed %q, want %q", out.String(), want)
	}
	out.Reset()
	if code := dispatch(context.Background(), []string{"version", "--json"}, &out, &errb); code != 0 {
		t.Fatalf("--json: exit %d", code)
	}
	var got buildinfo.Info
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || got != info {
		t.Fatalf("--json: %s (%v), want %+v", out.String(), err, info)
	}
	errb.Reset()
	if code := dispatch(context.Background(), []string{"version", "extra"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "unexpected argument") {
		t.Fatalf("an argument: exit %d, %q", code, errb.String())
	}
}
