package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/persistence/sqlstore"
)

// TestReplayVerifyHelp: `replay verify -h` prints the usage (exit 0)
// instead of opening a file named -h; `--` still allows such a file.
func TestReplayVerifyHelp(t *testing.T) {
	var out, errb bytes.Buffer
	if code := dispatch(context.Background(), []string{"replay", "verify", "-h"}, &out, &errb); code != 0 || !strings.Contains(errb.String(), "usage:") || strings.Contains(errb.String(), "open") {
		t.Fatalf("verify -h: exit %d, stderr %q", code, errb.String())
	}
	errb.Reset()
	if code := dispatch(context.Background(), []string{"replay", "verify", "--", "-h"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "-h") {
		t.Fatalf("verify -- -h: exit %d, stderr %q (want the file -h reported missing)", code, errb.String())
	}
	errb.Reset()
	if code := dispatch(context.Background(), []string{"replay", "verify"}, &out, &errb); code != 2 {
		t.Fatalf("verify without files: exit %d", code)
	}
}

// TestReplayExport: a stored match's replay comes back byte for byte, to a
// file (-o) or stdout (-o -); an unknown match is exit 1.
func TestReplayExport(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "p.db")
	st, err := sqlstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, dev := range []string{"dev-a", "dev-b"} {
		p, _, err := st.LoginIdentity(ctx, "guest", dev, dev)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	replay := []byte{0x93, 1, 2, 3, 0xff}
	rec := contract.MatchRecord{MatchID: "m_export", RoomID: "r_1", ServerID: "room-1", Mode: "battle_1v1", Arena: "leviathan",
		ContentVersion: "c1", Seed: 7, StartedAt: start, EndedAt: start.Add(time.Minute), Ticks: 1800,
		Outcome: contract.OutcomeTeamWin, FinalHash: 0xfeed, Replay: replay,
		Participants: []contract.Participant{{PlayerID: ids[0], Seat: 0, Team: 0, Result: contract.ResultWin},
			{PlayerID: ids[1], Seat: 1, Team: 1, Result: contract.ResultLoss}}}
	if _, err := st.ApplyMatches(ctx, []contract.MatchRecord{rec}); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()

	file := filepath.Join(t.TempDir(), "out.replay")
	var out, errb bytes.Buffer
	if code := dispatch(ctx, []string{"replay", "export", "m_export", "--db", db, "-o", file}, &out, &errb); code != 0 {
		t.Fatalf("export: exit %d: %s", code, errb.String())
	}
	if got, err := os.ReadFile(file); err != nil || !bytes.Equal(got, replay) {
		t.Fatalf("exported %x (%v), want %x", got, err, replay)
	}
	if code := dispatch(ctx, []string{"replay", "export", "--db", db, "-o", "-", "m_export"}, &out, &errb); code != 0 || !bytes.Equal(out.Bytes(), replay) {
		t.Fatalf("export to stdout: exit %d, %x", code, out.Bytes())
	}
	errb.Reset()
	if code := dispatch(ctx, []string{"replay", "export", "m_nope", "--db", db, "-o", "-"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "not stored") {
		t.Fatalf("unknown match: exit %d, %q", code, errb.String())
	}
}
