package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestLogDurationsReadable: both log formats write durations as Go
// duration strings, never integer nanoseconds, nested in groups too.
func TestLogDurationsReadable(t *testing.T) {
	var buf bytes.Buffer
	log, err := newLogger(&buf, "info", "json")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("waited", "wait", 1500*time.Millisecond, "group", map[string]int{"n": 1})
	log.WithGroup("g").Info("nested", "retry", 2*time.Second)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || first["wait"] != "1.5s" {
		t.Fatalf("json: %s (%v), want wait \"1.5s\"", lines[0], err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil || second["g"].(map[string]any)["retry"] != "2s" {
		t.Fatalf("json nested: %s (%v)", lines[1], err)
	}
	buf.Reset()
	log, _ = newLogger(&buf, "info", "text")
	log.Info("waited", "wait", 250*time.Millisecond)
	if !strings.Contains(buf.String(), "wait=250ms") {
		t.Fatalf("text: %s", buf.String())
	}
}
