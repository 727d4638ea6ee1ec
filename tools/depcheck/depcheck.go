package depcheck

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"slices"
	"strings"
)

// Module is this module's import path.
const Module = "github.com/pantheon-oracles/pantheon"

// sqlDrivers are the module paths of SQL drivers, ours and common others.
var sqlDrivers = []string{"github.com/jackc/pgx", "modernc.org/sqlite", "github.com/lib/pq", "github.com/mattn/go-sqlite3"}

// Rule is one constraint on what a set of packages links.
type Rule struct {
	Name string
	// Packages are `go list` patterns, relative to the module root.
	Packages []string
	// Deny lists import path prefixes none of the packages may link.
	Deny []string
	// OnlyThirdParty, when set, lists the only import path prefixes a
	// non-standard dependency may have.
	OnlyThirdParty []string
}

// Rules are the module's dependency rules.
var Rules = []Rule{
	{
		Name: "no SQL driver outside the store",
		Packages: []string{"./server/...", "./lobby/...", "./bench/...", "./contract/...", "./netcode/...", "./ecs/...",
			"./persistence", "./persistence/outbox/...", "./persistence/rating/..."},
		Deny: sqlDrivers,
	},
	{
		Name:           "the simulation links only donburi",
		Packages:       []string{"./ecs/..."},
		OnlyThirdParty: []string{"github.com/yohamta/donburi", Module + "/ecs"},
	},
	{
		Name:           "content is a leaf below the simulation",
		Packages:       []string{"./ecs/content"},
		OnlyThirdParty: []string{Module + "/ecs/content"},
	},
}

// Package is one node of the dependency graph.
type Package struct {
	Path     string
	Standard bool
	Imports  []string
}

// Violation is one package a rule does not allow, with the chain of
// imports from a checked package to it.
type Violation struct {
	Rule  string
	Chain []string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s: %s", v.Rule, strings.Join(v.Chain, " -> "))
}

// Check applies r to the graph of the checked packages roots (import
// paths) and their dependencies in graph.
func Check(r Rule, roots []string, graph map[string]Package) []Violation {
	var out []Violation
	reported := map[string]bool{}
	for _, root := range roots {
		// Breadth first, so each chain is a shortest one.
		parent := map[string]string{root: ""}
		queue := []string{root}
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			if !reported[p] && r.refuses(graph[p]) {
				reported[p] = true
				var chain []string
				for q := p; q != ""; q = parent[q] {
					chain = append(chain, q)
				}
				slices.Reverse(chain)
				out = append(out, Violation{Rule: r.Name, Chain: chain})
				continue
			}
			for _, imp := range graph[p].Imports {
				if _, seen := parent[imp]; !seen {
					parent[imp] = p
					queue = append(queue, imp)
				}
			}
		}
	}
	return out
}

// refuses reports whether r does not allow p.
func (r Rule) refuses(p Package) bool {
	if p.Path == "" || p.Standard {
		return false
	}
	if hasPrefix(p.Path, r.Deny) {
		return true
	}
	return len(r.OnlyThirdParty) > 0 && !hasPrefix(p.Path, r.OnlyThirdParty)
}

// hasPrefix reports whether path is one of prefixes or below one.
func hasPrefix(path string, prefixes []string) bool {
	for _, pre := range prefixes {
		if path == pre || strings.HasPrefix(path, pre+"/") {
			return true
		}
	}
	return false
}

// List runs `go list -deps` in dir on patterns (with an -overlay file when
// overlay is not "") and returns the checked packages' import paths and
// the whole graph.
func List(dir, overlay string, patterns []string) (roots []string, graph map[string]Package, err error) {
	args := []string{"list", "-e", "-f", "{{.ImportPath}}"}
	if overlay != "" {
		args = append(args, "-overlay", overlay)
	}
	if roots, err = lines(dir, append(args, patterns...)); err != nil {
		return nil, nil, err
	}
	args = []string{"list", "-e", "-deps", "-f", "{{.ImportPath}}\t{{.Standard}}\t{{join .Imports \" \"}}"}
	if overlay != "" {
		args = append(args, "-overlay", overlay)
	}
	ls, err := lines(dir, append(args, patterns...))
	if err != nil {
		return nil, nil, err
	}
	graph = make(map[string]Package, len(ls))
	for _, l := range ls {
		f := strings.Split(l, "\t")
		if len(f) != 3 {
			return nil, nil, fmt.Errorf("depcheck: go list printed %q", l)
		}
		graph[f[0]] = Package{Path: f[0], Standard: f[1] == "true", Imports: strings.Fields(f[2])}
	}
	return roots, graph, nil
}

// lines runs the go command and returns its output lines.
func lines(dir string, args []string) ([]string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("depcheck: go %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	var ls []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if l := sc.Text(); l != "" {
			ls = append(ls, l)
		}
	}
	return ls, sc.Err()
}

// Run checks every rule against the module in dir and returns the
// violations.
func Run(dir, overlay string, rules []Rule) ([]Violation, error) {
	var out []Violation
	for _, r := range rules {
		roots, graph, err := List(dir, overlay, r.Packages)
		if err != nil {
			return nil, err
		}
		out = append(out, Check(r, roots, graph)...)
	}
	return out, nil
}
