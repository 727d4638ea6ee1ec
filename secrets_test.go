package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSecretValue: "@PATH" reads the file without its trailing newline; a
// plain value is itself; a missing or empty file is an error.
func TestSecretValue(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "fleet")
	if err := os.WriteFile(path, []byte("s3cret-from-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		in, want string
		err      bool
	}{
		{"@" + path, "s3cret-from-a-file", false},
		{"plain-value", "plain-value", false},
		{"", "", false},
		{"@" + filepath.Join(dir, "missing"), "", true},
		{"@" + empty, "", true},
	} {
		got, err := secretValue("fleet-secret", c.in)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("secretValue(%q) = %q, %v", c.in, got, err)
		}
	}
}
