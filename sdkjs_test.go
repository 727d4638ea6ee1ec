package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSDKJS runs the TypeScript SDK's tests (sdk/js: `npm ci`, then `npm
// test`: the build, the unit tests with every conformance vector, and the
// integration test of two SDK clients playing a duel on a real `pantheon
// dev`, on a binary built here). It skips when node or npm is missing,
// unless PANTHEON_REQUIRE_SERVICES=1 (CI), where that fails.
func TestSDKJS(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the SDK's tests build the binary and play a match")
	}
	var missing []string
	for _, tool := range []string{"go", "node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		msg := "sdk/js needs " + strings.Join(missing, " and ") + " on PATH"
		if os.Getenv("PANTHEON_REQUIRE_SERVICES") == "1" {
			t.Fatal(msg + " (PANTHEON_REQUIRE_SERVICES=1)")
		}
		t.Skip(msg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "pantheon")
	gobin, _ := exec.LookPath("go")
	sdkRun(t, ctx, ".", nil, gobin, "build", "-o", bin, ".")
	dir := filepath.Join("sdk", "js")
	sdkRun(t, ctx, dir, nil, "npm", "ci", "--no-audit", "--no-fund")
	// The integration test uses this binary instead of building its own.
	sdkRun(t, ctx, dir, []string{"PANTHEON_BIN=" + bin, "PATH=" + filepath.Dir(gobin) + string(os.PathListSeparator) + os.Getenv("PATH")}, "npm", "test")
}

// sdkRun runs a command in dir and fails the test with its output when it fails.
func sdkRun(t *testing.T, ctx context.Context, dir string, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	t.Logf("%s %s: ok\n%s", name, strings.Join(args, " "), sdkTail(string(out), 40))
}

// sdkTail returns the last n lines of s.
func sdkTail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
