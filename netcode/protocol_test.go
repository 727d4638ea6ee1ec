package netcode

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// protocolBlocks returns the indented code blocks of a PROTOCOL.md
// section (from its heading to the next heading), each as its lines'
// whitespace-separated tokens.
func protocolBlocks(t *testing.T, doc, heading string) [][]string {
	t.Helper()
	at := strings.Index(doc, "\n"+heading+"\n")
	if at < 0 {
		t.Fatalf("PROTOCOL.md has no section %q", heading)
	}
	var blocks [][]string
	in := false
	for _, line := range strings.Split(doc[at+len(heading)+2:], "\n") {
		if strings.HasPrefix(line, "#") {
			break
		}
		if !strings.HasPrefix(line, "    ") {
			in = false
			continue
		}
		if !in {
			blocks = append(blocks, nil)
			in = true
		}
		blocks[len(blocks)-1] = append(blocks[len(blocks)-1], strings.Fields(line)...)
	}
	return blocks
}

func hexTokens(t *testing.T, toks []string) []byte {
	t.Helper()
	p, err := hex.DecodeString(strings.Join(toks, ""))
	if err != nil {
		t.Fatalf("example %v: %v", toks, err)
	}
	return p
}

// exampleDelta is the world of PROTOCOL.md 13.2.
func exampleDelta() (base, cur *Snapshot) {
	e := func(id uint32, kind, team, x, y, hp, maxHP, owner int32) Entity {
		var en Entity
		en.ID = id
		f := &en.Fields
		f[FieldKind], f[FieldTeam], f[FieldX], f[FieldY] = kind, team, x, y
		f[FieldHP], f[FieldMaxHP], f[FieldOwnerSeat] = hp, maxHP, owner
		return en
	}
	base = &Snapshot{Tick: 100, Entities: []Entity{
		e(5, 2, 1, 900, 900, 80, 500, -1),
		e(7, 1, 0, 1000, 2000, 1000, 1000, 0),
		e(8, 1, 1, -500, 300, 900, 1000, 1),
		e(9, 2, 1, 40, -60, 500, 500, -1),
		e(12, 2, 0, 0, 0, 500, 500, -1),
	}}
	cur = &Snapshot{}
	cur.CopyFrom(base)
	cur.Tick = 101
	cur.Entities = cur.Entities[1:] // entity 5 is gone
	cur.Entities[0].Fields[FieldX] += 12
	cur.Entities[0].Fields[FieldY] -= 3
	cur.Entities[1].Fields[FieldX] -= 7
	cur.Entities[1].Fields[FieldY] += 9
	cur.Entities[2].Fields[FieldHP] -= 150
	cur.Entities[2].Fields[FieldStatus] |= StatusBurn
	cur.Entities = append(cur.Entities, e(14, 2, 1, 250, -400, 500, 500, -1))
	return base, cur
}

// TestProtocolWorkedExamples: the byte examples of PROTOCOL.md section 13
// are what the encoders produce, and they decode back to their worlds.
func TestProtocolWorkedExamples(t *testing.T) {
	raw, err := os.ReadFile("PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	check := func(name string, got, doc []byte) {
		t.Helper()
		if !bytes.Equal(got, doc) {
			t.Errorf("%s: encoder writes\n\t% x\nPROTOCOL.md shows\n\t% x", name, got, doc)
		}
	}

	hello := protocolBlocks(t, doc, "### 13.1 Hello")
	if len(hello) != 2 {
		t.Fatalf("13.1: %d code blocks, want hello and resume", len(hello))
	}
	check("hello", AppendHello(nil, &Hello{Version: Version, Ticket: "tkt.A1"}), hexTokens(t, hello[0]))
	check("resume", AppendHello(nil, &Hello{Version: Version, Ticket: "tkt.A1", ResumeToken: "r9", LastAckTick: 300}), hexTokens(t, hello[1]))

	delta := protocolBlocks(t, doc, "### 13.2 A delta snapshot")
	if len(delta) != 2 {
		t.Fatalf("13.2: %d code blocks, want the frame and the stream's bits", len(delta))
	}
	base, cur := exampleDelta()
	frame := AppendSnapshot(nil, base, cur, 42)
	check("delta snapshot", frame, hexTokens(t, delta[0]))
	var f SnapshotFrame
	var out Snapshot
	if err := DecodeSnapshot(frame, &f); err != nil {
		t.Fatal(err)
	}
	if err := Apply(base, &f, &out); err != nil || !out.Equal(cur) {
		t.Fatalf("the example does not apply: %v", err)
	}
	var stream []byte
	for _, tok := range delta[1] {
		b, err := strconv.ParseUint(tok, 2, 8)
		if err != nil || len(tok) != 8 {
			t.Fatalf("13.2 bits: %q is not a byte in binary", tok)
		}
		stream = append(stream, byte(b))
	}
	if !bytes.Contains(frame, appendBinLen(nil, len(stream))) || !bytes.Contains(frame, stream) {
		t.Errorf("13.2: the bits shown are not the frame's update stream; the frame is\n%s", bitString(frame))
	}

	idle := protocolBlocks(t, doc, "### 13.3 An idle room")
	if len(idle) != 1 {
		t.Fatalf("13.3: %d code blocks", len(idle))
	}
	w := newTestWorld(1, 8, 24)
	w.snap.Tick = 5400
	was := &Snapshot{}
	was.CopyFrom(&w.snap)
	w.snap.Tick++
	check("idle snapshot", AppendSnapshot(nil, was, &w.snap, 5398), hexTokens(t, idle[0]))
}

func bitString(p []byte) string {
	var sb strings.Builder
	for _, b := range p {
		fmt.Fprintf(&sb, "%08b ", b)
	}
	return sb.String()
}
