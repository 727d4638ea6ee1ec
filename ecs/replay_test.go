package ecs_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/bot"
	"github.com/pantheon-oracles/pantheon/ecs/content"
)

// recorded are the matches whose replays are committed under
// testdata/replays and re-verified by every test run (and by CI through
// `pantheon replay verify`). Regenerate them after a content or rule change
// with: go test ./ecs -run TestRecordedReplays -rewrite
func recorded() []struct {
	name         string
	mode, arena  string
	seed         uint64
	seats, ticks int
} {
	return []struct {
		name         string
		mode, arena  string
		seed         uint64
		seats, ticks int
	}{
		{"duel_leviathan", "battle_1v1", "leviathan", 1, 2, 5000},
		{"skirmish_behemoth", "battle_3v3", "behemoth", 2, 6, 500},
		{"raid_typhon", "raid", "typhon_maw", 4, 6, 400},
		{"raid_echidna", "raid", "echidna_brood", 5, 4, 200},
		{"ritual_astral", "ritual", "astral_chamber", 6, 2, 5000},
	}
}

func TestRecordedReplays(t *testing.T) {
	c := loadContent(t)
	if *rewrite {
		for _, r := range recorded() {
			seats, err := bot.Seats(c, r.mode, r.seats, r.seed)
			if err != nil {
				t.Fatal(err)
			}
			m, err := bot.NewMatch(c, ecs.Config{Mode: r.mode, Arena: r.arena, Seed: r.seed, Seats: seats}, 5)
			if err != nil {
				t.Fatal(err)
			}
			res := m.Run(r.ticks)
			if err := os.WriteFile(filepath.Join("testdata", "replays", r.name+".replay"), res.Replay, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %s after %d ticks, %d bytes", r.name, res.Outcome, res.Ticks, len(res.Replay))
		}
	}
	files, err := filepath.Glob("testdata/replays/*.replay")
	if err != nil || len(files) < len(recorded()) {
		t.Fatalf("want %d recorded replays, found %d (%v)", len(recorded()), len(files), err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rp, err := ecs.DecodeReplay(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		div, err := ecs.VerifyReplay(c, rp)
		if err != nil {
			t.Fatalf("%s: %v (after changing content or rules, re-record: go test ./ecs -run TestRecordedReplays -rewrite)", f, err)
		}
		if div != nil {
			t.Fatalf("%s: %v", f, div)
		}
	}
}

// finishedMatch plays a short duel to its end and returns the result.
func finishedMatch(t testing.TB, c *content.Bundle) *ecs.Result {
	t.Helper()
	seats, err := bot.Seats(c, "battle_1v1", 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	m, err := bot.NewMatch(c, ecs.Config{Mode: "battle_1v1", Seed: 3, Seats: seats}, 0)
	if err != nil {
		t.Fatal(err)
	}
	res := m.Run(100000)
	if res.Outcome == ecs.OutcomeAborted {
		t.Fatal("the duel did not finish")
	}
	return res
}

// TestResultReplay: a result's replay decodes, has one tick per tick played
// ending in the final hash, re-encodes to the same bytes and verifies.
func TestResultReplay(t *testing.T) {
	c := loadContent(t)
	res := finishedMatch(t, c)
	rp, err := ecs.DecodeReplay(res.Replay)
	if err != nil {
		t.Fatal(err)
	}
	if len(rp.Ticks) != res.Ticks || rp.Ticks[res.Ticks-1].Hash != res.FinalHash {
		t.Fatalf("replay: %d ticks, last hash %x; result: %d ticks, final %x", len(rp.Ticks), rp.Ticks[len(rp.Ticks)-1].Hash, res.Ticks, res.FinalHash)
	}
	if rp.Mode != res.Mode || rp.Arena != res.Arena || rp.Seed != res.Seed || rp.ContentVersion != res.ContentVersion {
		t.Fatalf("replay header %+v does not match result", rp)
	}
	again, err := ecs.EncodeReplay(rp)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(res.Replay) {
		t.Fatal("re-encoding the decoded replay changed its bytes")
	}
	if div, err := ecs.VerifyReplay(c, rp); err != nil || div != nil {
		t.Fatalf("verify: %v %v", err, div)
	}
	// A replay that runs past the match's end diverges where the match ended.
	rp.Ticks = append(rp.Ticks, ecs.ReplayTick{Hash: 1})
	div, err := ecs.VerifyReplay(c, rp)
	if err != nil || div == nil || div.Tick != res.Ticks+1 {
		t.Fatalf("want a divergence at tick %d, got %v %v", res.Ticks+1, div, err)
	}
}

// withCRC replaces the trailing checksum so a crafted body reaches the parser.
func withCRC(b []byte) []byte {
	body := b[:len(b)-4]
	return binary.LittleEndian.AppendUint32(append([]byte(nil), body...), crc32.ChecksumIEEE(body))
}

// header builds the fixed start of a replay up to (not including) the
// seat count.
func header() []byte {
	b := []byte("PNTHRPLY")
	b = binary.AppendUvarint(b, 1)
	for _, s := range []string{"c1-x", "battle_1v1", "leviathan"} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return binary.LittleEndian.AppendUint64(b, 42)
}

// TestDecodeReplayHostile feeds truncated, corrupted and crafted bytes:
// every one must be an error wrapping ErrBadReplay, never a panic or a
// huge allocation.
func TestDecodeReplayHostile(t *testing.T) {
	c := loadContent(t)
	valid := finishedMatch(t, c).Replay
	bad := func(name string, data []byte) {
		t.Helper()
		if _, err := ecs.DecodeReplay(data); !errors.Is(err, ecs.ErrBadReplay) {
			t.Errorf("%s: want ErrBadReplay, got %v", name, err)
		}
	}
	for n := range len(valid) {
		if n%7 == 0 || n < 64 {
			bad(fmt.Sprintf("truncated to %d", n), valid[:n])
		}
	}
	for i := 0; i < len(valid); i += 13 {
		b := append([]byte(nil), valid...)
		b[i] ^= 0x5a
		bad(fmt.Sprintf("flipped byte %d", i), b)
	}
	crafted := map[string][]byte{
		"bad magic":        withCRC(append([]byte("NOTAREPL"), make([]byte, 16)...)),
		"future version":   withCRC(append(append([]byte("PNTHRPLY"), 9), make([]byte, 8)...)),
		"huge string":      withCRC(append(binary.AppendUvarint(append([]byte("PNTHRPLY"), 1), 1<<40), make([]byte, 8)...)),
		"huge seat count":  withCRC(append(binary.AppendUvarint(header(), 1<<20), make([]byte, 8)...)),
		"seats beyond end": withCRC(append(binary.AppendUvarint(header(), 40), make([]byte, 8)...)),
		"huge tick count":  withCRC(append(binary.AppendUvarint(binary.AppendUvarint(header(), 0), 1<<33), make([]byte, 4)...)),
		"ticks beyond end": withCRC(append(binary.AppendUvarint(binary.AppendUvarint(header(), 0), 1000), make([]byte, 40)...)),
		"inputs beyond end": withCRC(append(binary.AppendUvarint(binary.AppendUvarint(binary.AppendUvarint(header(), 0), 1), 500),
			make([]byte, 12)...)),
		"overlong varint":  withCRC(append(append(header(), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), make([]byte, 4)...)),
		"trailing garbage": withCRC(append(append([]byte(nil), valid[:len(valid)-4]...), 1, 2, 3, 0, 0, 0, 0)),
		"too big":          make([]byte, ecs.MaxReplayBytes+1),
		"empty":            nil,
	}
	for name, data := range crafted {
		bad(name, data)
	}
	// Seat numbers beyond int32 are refused on every platform (on a 64-bit
	// one they would fit an int and verify; on a 32-bit one they would not).
	pad := make([]byte, 64)
	wide := map[string][]byte{
		"seat": withCRC(append(binary.AppendVarint(binary.AppendUvarint(header(), 1), 1<<40), pad...)),
		"input seat": withCRC(append(binary.AppendVarint(binary.AppendUvarint(binary.AppendUvarint(
			binary.AppendUvarint(header(), 0), 1), 1), 1<<40), pad...)),
	}
	for field, data := range wide {
		_, err := ecs.DecodeReplay(data)
		if !errors.Is(err, ecs.ErrBadReplay) || !strings.Contains(err.Error(), field+": 1099511627776 outside") {
			t.Errorf("%s 2^40: want ErrBadReplay naming the field and value, got %v", field, err)
		}
	}
	rp, err := ecs.DecodeReplay(valid)
	if err != nil {
		t.Fatal(err)
	}
	if strconv.IntSize == 64 { // where an int can hold it, the encoder refuses it too
		big := int64(1) << 40
		rp.Seats[0].Seat = int(big)
		if _, err := ecs.EncodeReplay(rp); !errors.Is(err, ecs.ErrBadReplay) {
			t.Errorf("encoding seat 2^40: want ErrBadReplay, got %v", err)
		}
	}
	// Random mutations with a fixed-up checksum exercise the parser itself.
	r := rand.New(rand.NewPCG(9, 9))
	for range 3000 {
		b := append([]byte(nil), valid...)
		for range 1 + r.IntN(4) {
			b[8+r.IntN(len(b)-12)] = byte(r.Uint32())
		}
		if _, err := ecs.DecodeReplay(withCRC(b)); err != nil && !errors.Is(err, ecs.ErrBadReplay) {
			t.Fatalf("mutation gave an unwrapped error: %v", err)
		}
	}
}

// FuzzDecodeReplay: decoding arbitrary bytes never panics, and whatever
// decodes re-encodes to something that decodes to the same replay.
func FuzzDecodeReplay(f *testing.F) {
	c := loadContent(f)
	valid := finishedMatch(f, c).Replay
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(withCRC(append(binary.AppendUvarint(header(), 1<<20), make([]byte, 8)...)))
	f.Add([]byte("PNTHRPLY"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rp, err := ecs.DecodeReplay(data)
		if err != nil {
			if !errors.Is(err, ecs.ErrBadReplay) {
				t.Fatalf("unwrapped error: %v", err)
			}
			return
		}
		again, err := ecs.EncodeReplay(rp)
		if err != nil {
			t.Fatalf("a decoded replay does not re-encode: %v", err)
		}
		back, err := ecs.DecodeReplay(again)
		if err != nil {
			t.Fatalf("a re-encoded replay does not decode: %v", err)
		}
		if !reflect.DeepEqual(rp, back) {
			t.Fatal("decode(encode(decode(x))) != decode(x)")
		}
	})
}
