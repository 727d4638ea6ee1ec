package contentcheck_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/tools/contentcheck"
)

var rewrite = flag.Bool("rewrite", false, "rewrite testdata/broken/*.want from the current reports")

// copyEmbedded writes every embedded content file into dir (empty).
func copyEmbedded(t *testing.T, dir string) {
	t.Helper()
	if err := os.CopyFS(dir, content.Embedded()); err != nil {
		t.Fatal(err)
	}
}

// TestEmbeddedContentIsValid checks every embedded file, as `pantheon
// content check` does with no directory.
func TestEmbeddedContentIsValid(t *testing.T) {
	r := contentcheck.Check(content.Embedded(), "embedded")
	var out bytes.Buffer
	r.Write(&out)
	if !r.OK() || !strings.Contains(out.String(), "content embedded: ok, version c1-") {
		t.Fatalf("embedded content: %s", out.String())
	}
}

// TestDirectoryCopyIsValid: the same files read from a directory check out
// with the same version.
func TestDirectoryCopyIsValid(t *testing.T) {
	dir := t.TempDir()
	copyEmbedded(t, dir)
	r := contentcheck.Check(os.DirFS(dir), dir)
	c, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || r.Content.Version() != c.Version() {
		t.Fatalf("directory copy: ok=%v problems=%v", r.OK(), r.Problems)
	}
}

// TestBrokenFixtures: each directory under testdata/broken overlays the
// embedded content with broken files (a NAME.delete file removes NAME); the
// report must name every problem's file and field exactly as in NAME.want.
func TestBrokenFixtures(t *testing.T) {
	cases, err := filepath.Glob("testdata/broken/*")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, dir := range cases {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		n++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			tmp := t.TempDir()
			copyEmbedded(t, tmp)
			overlay, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range overlay {
				if name, ok := strings.CutSuffix(f.Name(), ".delete"); ok {
					os.Remove(filepath.Join(tmp, name))
					continue
				}
				data, err := os.ReadFile(filepath.Join(dir, f.Name()))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(tmp, f.Name()), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r := contentcheck.Check(os.DirFS(tmp), filepath.Base(dir))
			if r.OK() {
				t.Fatal("broken content passed")
			}
			var out bytes.Buffer
			r.Write(&out)
			wantFile := dir + ".want"
			if *rewrite {
				if err := os.WriteFile(wantFile, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(wantFile)
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != string(want) {
				t.Fatalf("report differs from %s\n--- want\n%s--- got\n%s", wantFile, want, out.String())
			}
		})
	}
	if n < 5 {
		t.Fatalf("want at least 5 broken fixtures, found %d", n)
	}
}

// TestWriteCatalog lists every mode with its tick rate and every zodiac sign.
func TestWriteCatalog(t *testing.T) {
	c, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	contentcheck.WriteCatalog(&out, c)
	for _, want := range []string{"battle_1v1  battle 1v1          60 Hz", "raid        raid   1-40 players", "ritual      ritual 2-6 players",
		"aries", "pisces", "typhon_maw (boss typhon, 4 phases)", "astral_chamber (6 sigils)", "leviathan (tide_pulse)", "behemoth (tremor)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("catalog lacks %q:\n%s", want, out.String())
		}
	}
}
