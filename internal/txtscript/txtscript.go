// Package txtscript reads and rewrites the data-driven test scripts of
// ecs's scenarios and server's room scripts, in the style of etcd raft's
// interaction tests. A script is a sequence of cases: a command line,
// optional input lines, a "----" line and the expected output, ended by a
// blank line. Lines starting with # (and blank lines) between cases are
// comments, kept when the script is rewritten.
package txtscript

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// Case is one command of a script with its expected output.
type Case struct {
	Pre   []string // comments and blank lines before it
	Cmd   string   // the command line
	Input []string // lines between the command and "----"
	Want  []string // the expected output
	Line  int      // the command's line number, from 1
}

// Parse reads the script at path: its cases and the comment lines after
// the last one.
func Parse(path string) ([]Case, []string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var cases []Case
	var cur Case
	state := 0 // 0 before a command, 1 reading input, 2 reading output
	sc := bufio.NewScanner(strings.NewReader(string(raw)))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch state {
		case 0:
			if line == "" || strings.HasPrefix(line, "#") {
				cur.Pre = append(cur.Pre, line)
				continue
			}
			cur.Cmd, cur.Line, state = line, n, 1
		case 1:
			if line == "----" {
				state = 2
				continue
			}
			cur.Input = append(cur.Input, line)
		case 2:
			if line == "" {
				cases = append(cases, cur)
				cur, state = Case{}, 0
				continue
			}
			cur.Want = append(cur.Want, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	switch state {
	case 1:
		return nil, nil, fmt.Errorf("%s:%d: command without ---- line", path, cur.Line)
	case 2:
		cases = append(cases, cur)
		cur = Case{}
	}
	return cases, cur.Pre, nil
}

// Run runs every case of the script at path through run, in order, and
// reports each whose output differs from the expected one. With rewrite it
// writes the script back instead, with every case's output as run returned
// it (comments and inputs kept).
func Run(t *testing.T, path string, rewrite bool, run func(Case) []string) {
	t.Helper()
	cases, tail, err := Parse(path)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, k := range cases {
		got := run(k)
		for _, p := range k.Pre {
			out.WriteString(p + "\n")
		}
		out.WriteString(k.Cmd + "\n")
		for _, in := range k.Input {
			out.WriteString(in + "\n")
		}
		out.WriteString("----\n")
		for _, g := range got {
			out.WriteString(g + "\n")
		}
		out.WriteString("\n")
		if !rewrite && !slices.Equal(got, k.Want) {
			t.Errorf("%s:%d: %s\n--- want\n%s\n--- got\n%s", path, k.Line, k.Cmd,
				strings.Join(k.Want, "\n"), strings.Join(got, "\n"))
		}
	}
	for _, p := range tail {
		out.WriteString(p + "\n")
	}
	if rewrite {
		text := strings.TrimRight(out.String(), "\n") + "\n"
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
