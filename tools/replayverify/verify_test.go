package replayverify_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/tools/replayverify"
)

func loadContent(t *testing.T) *content.Bundle {
	t.Helper()
	c, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// recordedReplays are the matches committed under ecs/testdata/replays.
func recordedReplays(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../ecs/testdata/replays/*.replay")
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded replays: %v", err)
	}
	return files
}

// TestRecordedReplaysVerify runs every committed replay through the same
// path `pantheon replay verify` takes.
func TestRecordedReplaysVerify(t *testing.T) {
	c := loadContent(t)
	for _, f := range recordedReplays(t) {
		r := replayverify.VerifyFile(c, f)
		var out bytes.Buffer
		r.Write(&out)
		if !r.OK() || !strings.Contains(out.String(), "every state hash matches") {
			t.Errorf("%s", out.String())
		}
	}
}

// TestTamperedReplayNamesTheTick changes one input of a recorded match and
// checks the report names that tick.
func TestTamperedReplayNamesTheTick(t *testing.T) {
	c := loadContent(t)
	data, err := os.ReadFile(recordedReplays(t)[0])
	if err != nil {
		t.Fatal(err)
	}
	rp, err := ecs.DecodeReplay(data)
	if err != nil {
		t.Fatal(err)
	}
	k := -1
	for i := len(rp.Ticks) / 2; i < len(rp.Ticks); i++ {
		if len(rp.Ticks[i].Inputs) > 0 {
			k = i
			break
		}
	}
	if k < 0 {
		t.Fatal("no inputs in the second half of the replay")
	}
	rp.Ticks[k].Inputs[0].MoveX = 1000 - rp.Ticks[k].Inputs[0].MoveX // a move the player never made
	tampered, err := ecs.EncodeReplay(rp)
	if err != nil {
		t.Fatal(err)
	}
	r := replayverify.Verify(c, "tampered", tampered)
	var out bytes.Buffer
	r.Write(&out)
	if r.OK() || r.Divergence == nil || r.Divergence.Tick != k+1 {
		t.Fatalf("want a mismatch at tick %d, got: %s", k+1, out.String())
	}
	if !strings.Contains(out.String(), "MISMATCH at tick") || !strings.Contains(out.String(), "inputs at this tick: seat") {
		t.Fatalf("unreadable report: %s", out.String())
	}
}

// TestBadFiles: missing, corrupt and foreign-content replays are errors.
func TestBadFiles(t *testing.T) {
	c := loadContent(t)
	if r := replayverify.VerifyFile(c, filepath.Join(t.TempDir(), "nope.replay")); r.OK() || !errors.Is(r.Err, os.ErrNotExist) {
		t.Fatalf("missing file: %+v", r)
	}
	data, err := os.ReadFile(recordedReplays(t)[0])
	if err != nil {
		t.Fatal(err)
	}
	corrupt := append([]byte(nil), data...)
	corrupt[len(corrupt)/2] ^= 0xff
	if r := replayverify.Verify(c, "corrupt", corrupt); r.OK() || !errors.Is(r.Err, ecs.ErrBadReplay) {
		t.Fatalf("corrupt: %+v", r)
	}
	rp, _ := ecs.DecodeReplay(data)
	rp.ContentVersion = "c1-ffffffffffffffff"
	other, _ := ecs.EncodeReplay(rp)
	r := replayverify.Verify(c, "other", other)
	if r.OK() || !errors.Is(r.Err, ecs.ErrContentMismatch) {
		t.Fatalf("other content: %+v", r)
	}
}
