package netcode

import (
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"testing"
)

var sdkBenchOut = flag.String("sdk-bench-out", "", "TestSDKBenchFrames: write the raid benchmark's frames as JSON to this file (for sdk/js/bench/snapshot.mjs)")

// TestSDKBenchFrames makes the TypeScript SDK's benchmark input from the
// same raid states as BenchmarkSnapshotApply (40 players + 400 NPCs, 64
// ticks): a full snapshot of the first tick and each tick's delta against
// the previous one, checked here to decode and apply; with -sdk-bench-out
// it writes them as {"players", "npcs", "full", "deltas": [hex...]}.
func TestSDKBenchFrames(t *testing.T) {
	const players, npcs = 40, 400
	snaps := benchSnapshots(players, npcs)
	out := struct {
		Players int      `json:"players"`
		NPCs    int      `json:"npcs"`
		Full    string   `json:"full"`
		Deltas  []string `json:"deltas"`
	}{Players: players, NPCs: npcs}
	full := AppendSnapshot(nil, nil, snaps[0], snaps[0].Tick-benchInputLag)
	out.Full = hex.EncodeToString(full)
	var f SnapshotFrame
	var got Snapshot
	if err := DecodeSnapshot(full, &f); err != nil {
		t.Fatal(err)
	}
	if err := Apply(nil, &f, &got); err != nil || len(got.Entities) != players+npcs {
		t.Fatalf("full: %v, %d entities", err, len(got.Entities))
	}
	for i := 0; i < benchTicks; i++ {
		p := AppendSnapshot(nil, snaps[i], snaps[i+1], snaps[i+1].Tick-benchInputLag)
		if err := DecodeSnapshot(p, &f); err != nil {
			t.Fatal(err)
		}
		if err := Apply(snaps[i], &f, &got); err != nil {
			t.Fatal(err)
		}
		out.Deltas = append(out.Deltas, hex.EncodeToString(p))
	}
	if *sdkBenchOut == "" {
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(*sdkBenchOut, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
