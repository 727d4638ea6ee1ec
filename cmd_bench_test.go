package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestBenchErrorsPrefixedOnce: a configuration error reads "pantheon
// bench: config: ..." with "bench:" once, whatever part of the config
// failed.
func TestBenchErrorsPrefixedOnce(t *testing.T) {
	for _, args := range [][]string{
		{"--scenario", "smoke", "--threshold", "nonsense"},
		{"--scenario", "smoke", "--lobby", "http://10.1.1.1:80"},
		{"--scenario", "nope"},
	} {
		var out, errb bytes.Buffer
		code := dispatch(context.Background(), append([]string{"bench"}, args...), &out, &errb)
		msg := errb.String()
		if code != 2 || !strings.HasPrefix(msg, "pantheon bench: ") || strings.Count(msg, "bench:") != 1 {
			t.Errorf("bench %v: exit %d, stderr %q: want exit 2 and one \"bench:\"", args, code, msg)
		}
	}
}
