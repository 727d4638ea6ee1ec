package depcheck

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// moduleRoot is the module root, two levels above this package.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestModulePassesItsRules(t *testing.T) {
	vs, err := Run(moduleRoot(t), "", Rules)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Errorf("%s", v)
	}
}

// TestDeliberateImportsFail adds, through a build overlay, a file
// importing a SQL driver to the room server and to the matchmaker, one
// importing msgpack to the simulation and one importing donburi to the
// content, and checks that the rules catch each with the chain of imports
// that led there.
func TestDeliberateImportsFail(t *testing.T) {
	root := moduleRoot(t)
	cases := []struct {
		name, pkgDir, src, rule, want string
	}{
		{"driver in the room server", "server", "package server\n\nimport _ \"github.com/jackc/pgx/v5\"\n",
			"no SQL driver outside the store", Module + "/server -> github.com/jackc/pgx/v5"},
		{"driver in the lobby", "lobby/match", "package match\n\nimport _ \"modernc.org/sqlite\"\n",
			"no SQL driver outside the store", Module + "/lobby/match -> modernc.org/sqlite"},
		{"msgpack in the simulation", "ecs", "package ecs\n\nimport _ \"github.com/vmihailenco/msgpack/v5\"\n",
			"the simulation links only donburi", Module + "/ecs -> github.com/vmihailenco/msgpack/v5"},
		{"donburi in the content", "ecs/content", "package content\n\nimport _ \"github.com/yohamta/donburi\"\n",
			"content is a leaf below the simulation", Module + "/ecs/content -> github.com/yohamta/donburi"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tmp := t.TempDir()
			src := filepath.Join(tmp, "zz_depcheck.go")
			if err := os.WriteFile(src, []byte(c.src), 0o644); err != nil {
				t.Fatal(err)
			}
			ov, _ := json.Marshal(map[string]map[string]string{"Replace": {filepath.Join(root, c.pkgDir, "zz_depcheck.go"): src}})
			overlay := filepath.Join(tmp, "overlay.json")
			if err := os.WriteFile(overlay, ov, 0o644); err != nil {
				t.Fatal(err)
			}
			vs, err := Run(root, overlay, Rules)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range vs {
				got = append(got, v.String())
				if v.Rule == c.rule && strings.HasPrefix(strings.Join(v.Chain, " -> "), c.want) {
					return
				}
			}
			t.Fatalf("no violation %q starting %q; got %q", c.rule, c.want, got)
		})
	}
}

func TestCheckNamesAShortestChain(t *testing.T) {
	g := map[string]Package{
		"a":     {Path: "a", Imports: []string{"b", "c"}},
		"b":     {Path: "b", Imports: []string{"c"}},
		"c":     {Path: "c", Imports: []string{"bad/x", "fmt"}},
		"fmt":   {Path: "fmt", Standard: true},
		"bad/x": {Path: "bad/x"},
	}
	vs := Check(Rule{Name: "r", Deny: []string{"bad"}}, []string{"a"}, g)
	if len(vs) != 1 || strings.Join(vs[0].Chain, " ") != "a c bad/x" {
		t.Fatalf("violations %v, want one with chain a c bad/x", vs)
	}
	if vs := Check(Rule{Name: "r", OnlyThirdParty: []string{"a", "b", "c"}}, []string{"a"}, g); len(vs) != 1 || vs[0].Chain[2] != "bad/x" {
		t.Fatalf("allow-list violations %v, want bad/x", vs)
	}
	if vs := Check(Rule{Name: "r", Deny: []string{"ba"}}, []string{"a"}, g); len(vs) != 0 {
		t.Fatalf("prefix ba matched bad/x: %v", vs)
	}
}
