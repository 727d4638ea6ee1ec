package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/version"
	"io"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// dockerStage is one stage of a Dockerfile: its base image, its name (AS)
// and its instructions.
type dockerStage struct {
	base, name string
	ins        []dockerInstruction
}

// dockerInstruction is one instruction: its keyword in upper case and its
// arguments, continuation lines joined.
type dockerInstruction struct {
	cmd, args string
}

// parseDockerfile splits a Dockerfile into stages. It knows comments,
// continuation lines and FROM's --platform flag; instructions before the
// first FROM (global ARGs) are dropped.
func parseDockerfile(b []byte) []dockerStage {
	var stages []dockerStage
	var cur strings.Builder
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		cmd, args, _ := strings.Cut(line, " ")
		in := dockerInstruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			var s dockerStage
			f := slices.DeleteFunc(strings.Fields(in.args), func(a string) bool { return strings.HasPrefix(a, "--") })
			if len(f) > 0 {
				s.base = f[0]
			}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				s.name = f[2]
			}
			stages = append(stages, s)
			return
		}
		if len(stages) > 0 {
			stages[len(stages)-1].ins = append(stages[len(stages)-1].ins, in)
		}
	}
	for _, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() > 0) {
			continue // comments and blank lines do not end a continued instruction
		}
		if body, ok := strings.CutSuffix(trimmed, `\`); ok {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(trimmed)
		flush()
	}
	flush()
	return stages
}

// execArgs returns an instruction's arguments in exec (JSON array) form,
// or nil when they are in shell form.
func (in dockerInstruction) execArgs() []string {
	var a []string
	if json.Unmarshal([]byte(in.args), &a) != nil {
		return nil
	}
	return a
}

// copyArgs splits COPY's arguments into its --flags (name to value), its
// sources and its destination.
func (in dockerInstruction) copyArgs() (flags map[string]string, srcs []string, dst string) {
	f := in.execArgs()
	if f == nil {
		f = strings.Fields(in.args)
	}
	flags = map[string]string{}
	for len(f) > 0 && strings.HasPrefix(f[0], "--") {
		k, v, _ := strings.Cut(strings.TrimPrefix(f[0], "--"), "=")
		flags[k] = v
		f = f[1:]
	}
	if len(f) == 0 {
		return flags, nil, ""
	}
	return flags, f[:len(f)-1], f[len(f)-1]
}

// dockerignore is a parsed .dockerignore: its patterns in order, split
// into path segments, each possibly an exception (!).
type dockerignore []struct {
	except bool
	segs   []string
}

// parseDockerignore reads .dockerignore patterns: comments and blank
// lines skipped, each pattern cleaned and made relative to the context.
func parseDockerignore(b []byte) dockerignore {
	var d dockerignore
	for _, line := range strings.Split(string(b), "\n") {
		p := strings.TrimSpace(line)
		if p == "" || strings.HasPrefix(p, "#") {
			continue
		}
		except := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(path.Clean("/"+strings.TrimPrefix(p, "!")), "/")
		d = append(d, struct {
			except bool
			segs   []string
		}{except, strings.Split(p, "/")})
	}
	return d
}

// excludes reports whether the context path name (slash separated) is left
// out of the build context: the last pattern matching it or one of its
// parent directories decides, as in Docker. Segments match as path.Match
// does; "**" matches any number of segments.
func (d dockerignore) excludes(name string) bool {
	segs := strings.Split(path.Clean(name), "/")
	excluded := false
	for _, p := range d {
		for i := 1; i <= len(segs); i++ {
			if matchSegments(p.segs, segs[:i]) {
				excluded = !p.except
				break
			}
		}
	}
	return excluded
}

// matchSegments matches a path's segments against a pattern's.
func matchSegments(pat, name []string) bool {
	if len(pat) == 0 {
		return len(name) == 0
	}
	if pat[0] == "**" {
		for i := 0; i <= len(name); i++ {
			if matchSegments(pat[1:], name[i:]) {
				return true
			}
		}
		return false
	}
	if len(name) == 0 {
		return false
	}
	ok, err := path.Match(pat[0], name[0])
	return err == nil && ok && matchSegments(pat[1:], name[1:])
}

// listenFlag is a flag of `pantheon lobby` or `pantheon room` whose default
// is a listen address.
type listenFlag struct {
	command, name string
	port          string // "8080/tcp", "7000/udp"
}

// flagDefaultRE matches a string flag and its default in a flag set's
// PrintDefaults output.
var flagDefaultRE = regexp.MustCompile(`(?m)^  -([a-z0-9-]+) string\n\s+(.*)\(default "([^"]*)"\)$`)

// listenFlags runs `pantheon lobby -h` and `pantheon room -h` and returns
// every flag whose default is an IP and port: the servers' listeners, UDP
// when the flag's usage says so.
func listenFlags(t *testing.T) []listenFlag {
	t.Helper()
	var flags []listenFlag
	for _, c := range []struct {
		name string
		run  func(context.Context, []string, io.Writer, io.Writer) int
	}{{"lobby", runLobby}, {"room", runRoom}} {
		var stderr bytes.Buffer
		c.run(context.Background(), []string{"-h"}, io.Discard, &stderr)
		for _, m := range flagDefaultRE.FindAllStringSubmatch(stderr.String(), -1) {
			host, port, err := net.SplitHostPort(m[3])
			if err != nil || net.ParseIP(host) == nil {
				continue
			}
			if _, err := strconv.Atoi(port); err != nil {
				continue
			}
			proto := "tcp"
			if strings.Contains(m[2], "UDP") {
				proto = "udp"
			}
			flags = append(flags, listenFlag{c.name, m[1], port + "/" + proto})
		}
	}
	if len(flags) == 0 {
		t.Fatal("no listen-address flag found in `pantheon lobby -h` and `pantheon room -h`")
	}
	return flags
}

// buildFiles returns the module's files `go build .` reads for linux (Go
// files, embedded files, go.mod and go.sum), relative to the module root.
func buildFiles(t *testing.T) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-json=Dir,GoFiles,EmbedFiles,Module", ".")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"go.mod", "go.sum"}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p struct {
			Dir                 string
			GoFiles, EmbedFiles []string
			Module              *struct{ Main bool }
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if p.Module == nil || !p.Module.Main {
			continue
		}
		for _, f := range append(p.GoFiles, p.EmbedFiles...) {
			rel, err := filepath.Rel(root, filepath.Join(p.Dir, f))
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, filepath.ToSlash(rel))
		}
	}
	return files
}

// ldflagRE matches one -X symbol=value of a -ldflags string.
var ldflagRE = regexp.MustCompile(`-X ([A-Za-z0-9_./-]+)=(\$[({]?[A-Z_]+[)}]?)`)

// stampVars maps each symbol a build stamps with -X to the variable it is
// given (VERSION for both $(VERSION) and ${VERSION}).
func stampVars(s string) map[string]string {
	m := map[string]string{}
	for _, x := range ldflagRE.FindAllStringSubmatch(s, -1) {
		m[x[1]] = strings.Trim(x[2], "$(){}")
	}
	return m
}

// dockerfileInputs are what a Dockerfile is checked against.
type dockerfileInputs struct {
	dockerfile, dockerignore []byte
	makefile, gomod          []byte
	listen                   []listenFlag
	buildFiles               []string
}

// dockerfileProblems returns what is wrong with in.dockerfile: a final
// stage that is not distroless or scratch or runs as root; EXPOSE ports
// that differ from the lobby's and room server's default listen ports; a
// COPY from the context of a missing or .dockerignore'd path; a build
// file excluded from the context or copied by no COPY; a Go image older
// than go.mod asks for; a build that is not static, trimmed and stamped as
// the Makefile's; an ENTRYPOINT that is not the built binary.
func dockerfileProblems(in dockerfileInputs) []string {
	var probs []string
	bad := func(format string, a ...any) { probs = append(probs, fmt.Sprintf(format, a...)) }
	stages := parseDockerfile(in.dockerfile)
	if len(stages) < 2 {
		return []string{fmt.Sprintf("%d stages, want a build stage and a final one", len(stages))}
	}
	ignore := parseDockerignore(in.dockerignore)
	final := stages[len(stages)-1]
	if !strings.HasPrefix(final.base, "gcr.io/distroless/") && final.base != "scratch" {
		bad("final stage FROM %s: want gcr.io/distroless/... or scratch", final.base)
	}

	// The build stage: every context COPY present and not ignored, every
	// build file copied; Go new enough; static, trimmed and stamped.
	var built string // the go build -o output
	var copied []string
	for _, s := range stages[:len(stages)-1] {
		if tag, ok := strings.CutPrefix(s.base, "golang:"); ok {
			v, _, _ := strings.Cut(tag, "-")
			for _, re := range []string{`(?m)^go (\S+)`, `(?m)^toolchain go(\S+)`} {
				if m := regexp.MustCompile(re).FindSubmatch(in.gomod); m != nil && version.Compare("go"+v, "go"+string(m[1])) < 0 {
					bad("FROM %s: go.mod needs Go %s", s.base, m[1])
				}
			}
		}
		args := map[string]bool{}
		for _, i := range s.ins {
			switch i.cmd {
			case "ARG":
				name, _, _ := strings.Cut(i.args, "=")
				args[name] = true
			case "COPY", "ADD":
				flags, srcs, _ := i.copyArgs()
				if _, ok := flags["from"]; ok {
					continue
				}
				for _, src := range srcs {
					src = path.Clean(src)
					if _, err := os.Stat(filepath.FromSlash(src)); err != nil {
						bad("%s %s: %v", i.cmd, src, err)
					}
					if src != "." && ignore.excludes(src) {
						bad("%s %s: excluded by .dockerignore", i.cmd, src)
					}
					copied = append(copied, src)
				}
			case "RUN":
				if !strings.Contains(i.args, "go build") {
					continue
				}
				for _, want := range []string{"CGO_ENABLED=0", "-trimpath"} {
					if !strings.Contains(i.args, want) {
						bad("go build without %s (make dist builds with it)", want)
					}
				}
				if m := regexp.MustCompile(`-o (\S+)`).FindStringSubmatch(i.args); m != nil {
					built = m[1]
				}
				got, want := stampVars(i.args), stampVars(string(in.makefile))
				if len(want) == 0 || fmt.Sprint(got) != fmt.Sprint(want) {
					bad("go build stamps %v, the Makefile's LDFLAGS %v", got, want)
				}
				for _, v := range got {
					if !args[v] {
						bad("go build stamps ${%s}, which is no ARG of its stage", v)
					}
				}
			}
		}
	}
	for _, f := range in.buildFiles {
		if ignore.excludes(f) {
			bad("%s, which the build needs, is excluded by .dockerignore", f)
		}
		if !slices.ContainsFunc(copied, func(c string) bool { return c == "." || c == f || strings.HasPrefix(f, c+"/") }) {
			bad("%s, which the build needs, is copied by no COPY", f)
		}
	}
	if built == "" {
		bad("no go build -o in the build stages")
	}

	// The final stage: the binary as ENTRYPOINT, a non-root USER, and the
	// servers' default ports exposed, no others.
	var binary, user string
	exposed := map[string]bool{}
	for _, i := range final.ins {
		switch i.cmd {
		case "COPY":
			if flags, srcs, dst := i.copyArgs(); flags["from"] != "" && slices.Contains(srcs, built) {
				binary = dst
			}
		case "USER":
			user = i.args
		case "EXPOSE":
			for _, p := range strings.Fields(i.args) {
				if !strings.Contains(p, "/") {
					p += "/tcp"
				}
				exposed[p] = true
			}
		case "ENTRYPOINT":
			if e := i.execArgs(); len(e) == 0 || e[0] != binary {
				bad("ENTRYPOINT %s: want [%q] (exec form), the binary built", i.args, binary)
			}
		}
	}
	if name, _, _ := strings.Cut(user, ":"); name == "" || name == "root" || name == "0" {
		bad("final stage USER %q: want a non-root user", user)
	}
	want := map[string]bool{}
	for _, f := range in.listen {
		want[f.port] = true
		if !exposed[f.port] {
			bad("pantheon %s --%s listens on %s by default; EXPOSE it", f.command, f.name, f.port)
		}
	}
	for p := range exposed {
		if !want[p] {
			bad("EXPOSE %s is no default listen port of pantheon lobby or room", p)
		}
	}
	return probs
}

// realDockerfileInputs reads the Dockerfile, .dockerignore, Makefile and
// go.mod of the repository, and the servers' listen flags and build files.
func realDockerfileInputs(t *testing.T) dockerfileInputs {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return dockerfileInputs{
		dockerfile: read("Dockerfile"), dockerignore: read(".dockerignore"),
		makefile: read("Makefile"), gomod: read("go.mod"),
		listen: listenFlags(t), buildFiles: buildFiles(t),
	}
}

// containerCommand checks one command the image runs (its CMD, or the
// arguments after the image in a `docker run`): a real subcommand, flags
// the binary accepts (checkCommandFlags), and listen flags bound to every
// interface, as a container's must be.
func containerCommand(t *testing.T, where string, args []string, listen []listenFlag) {
	t.Helper()
	if len(args) == 0 {
		t.Errorf("%s: no command", where)
		return
	}
	if args[0] == "help" || args[0] == "version" {
		if len(args) > 1 {
			t.Errorf("%s: %s takes no arguments", where, args[0])
		}
		return
	}
	checkCommandFlags(t, where, args)
	for _, a := range args[1:] {
		name, v, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		for _, f := range listen {
			if f.command != args[0] || f.name != name {
				continue
			}
			if host, _, err := net.SplitHostPort(v); err != nil || (host != "0.0.0.0" && host != "" && host != "::") {
				t.Errorf("%s: --%s=%s: a container's listener must bind 0.0.0.0", where, name, v)
			}
		}
	}
}

// TestDockerfile checks the release image statically (no Docker daemon
// here): dockerfileProblems finds nothing, the default CMD and the
// README's `docker run` commands are accepted by the real flag sets and
// bind every interface, and each port they publish is exposed.
func TestDockerfile(t *testing.T) {
	in := realDockerfileInputs(t)
	t.Logf("default listeners: %v; %d build files", in.listen, len(in.buildFiles))
	for _, p := range dockerfileProblems(in) {
		t.Error(p)
	}
	stages := parseDockerfile(in.dockerfile)
	final := stages[len(stages)-1]
	exposed := map[string]bool{}
	for _, i := range final.ins {
		switch i.cmd {
		case "CMD":
			args := i.execArgs()
			if args == nil {
				t.Errorf("CMD %s: want the exec form", i.args)
			}
			containerCommand(t, "Dockerfile CMD", args, in.listen)
		case "EXPOSE":
			for _, p := range strings.Fields(i.args) {
				if !strings.Contains(p, "/") {
					p += "/tcp"
				}
				exposed[p] = true
			}
		}
	}

	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n### Container image\n")
	if !ok {
		t.Fatal(`README.md has no "### Container image" section`)
	}
	section, _, _ = strings.Cut(section, "\n#")
	runs := 0
	for _, cmd := range strings.Split(strings.ReplaceAll(section, "\\\n", " "), "\n") {
		f := strings.Fields(cmd)
		if len(f) < 2 || f[0] != "docker" || f[1] != "run" {
			continue
		}
		cmd = strings.Join(f, " ")
		runs++
		image := slices.IndexFunc(f, func(a string) bool { return strings.HasPrefix(a, "pantheon:") })
		if image < 0 {
			t.Errorf("README %q: no pantheon image", cmd)
			continue
		}
		for i, a := range f[:image] {
			if a == "-p" && i+1 < image {
				p := f[i+1][strings.LastIndex(f[i+1], ":")+1:]
				if !strings.Contains(p, "/") {
					p += "/tcp"
				}
				if !exposed[p] {
					t.Errorf("README %q publishes %s, which the image does not EXPOSE", cmd, p)
				}
			}
		}
		containerCommand(t, "README docker run "+f[image+1], f[image+1:], in.listen)
	}
	if runs < 3 {
		t.Errorf("README's Container image section has %d docker run commands, want migrate, lobby and room", runs)
	}
}

// TestDockerfileCheckFails shows dockerfileProblems catches a removed
// port, a root user, a non-distroless final stage, a build file left out
// of the context and an unstamped build.
func TestDockerfileCheckFails(t *testing.T) {
	good := realDockerfileInputs(t)
	if p := dockerfileProblems(good); len(p) > 0 {
		t.Fatalf("the real Dockerfile has problems: %v", p)
	}
	for _, c := range []struct {
		name     string
		edit     func(*dockerfileInputs)
		wantProb string
	}{
		{"port removed", func(in *dockerfileInputs) {
			in.dockerfile = regexp.MustCompile(`( 7000/udp)`).ReplaceAll(in.dockerfile, nil)
		}, "--kcp listens on 7000/udp"},
		{"root user", func(in *dockerfileInputs) {
			in.dockerfile = bytes.Replace(in.dockerfile, []byte("USER nonroot:nonroot"), []byte("USER root"), 1)
		}, `USER "root"`},
		{"golang final stage", func(in *dockerfileInputs) {
			in.dockerfile = bytes.Replace(in.dockerfile, []byte("FROM gcr.io/distroless/static-debian12:nonroot"), []byte("FROM golang:1.26.8-bookworm"), 1)
		}, "final stage FROM golang"},
		{"web bundle ignored", func(in *dockerfileInputs) {
			in.dockerignore = append(slices.Clip(in.dockerignore), "web/dist\n"...)
		}, "web/dist/app.js, which the build needs, is excluded"},
		{"go.sum ignored", func(in *dockerfileInputs) {
			in.dockerignore = append(slices.Clip(in.dockerignore), "/go.sum\n"...)
		}, "COPY go.sum: excluded by .dockerignore"},
		{"unstamped", func(in *dockerfileInputs) {
			in.dockerfile = regexp.MustCompile(` -X \S+commit=\$\{COMMIT\}`).ReplaceAll(in.dockerfile, nil)
		}, "the Makefile's LDFLAGS"},
	} {
		in := good
		c.edit(&in)
		probs := dockerfileProblems(in)
		if !slices.ContainsFunc(probs, func(p string) bool { return strings.Contains(p, c.wantProb) }) {
			t.Errorf("%s: problems %q lack %q", c.name, probs, c.wantProb)
		}
	}
}

// TestDockerignoreMatch pins the .dockerignore matching the checks use.
func TestDockerignoreMatch(t *testing.T) {
	d := parseDockerignore([]byte("# comment\n.git\n/dist\n**/node_modules\n**/*.db\nbench-report*\nweb/*\n!web/dist\n"))
	for name, want := range map[string]bool{
		".git/HEAD": true, "dist/a.tar.gz": true, "x/dist": false,
		"web/node_modules/a/b.js": true, "node_modules": true,
		"pantheon.db": true, "data/x/pantheon.db": true, "a.dbx": false,
		"bench-report-1/x.json": true, "bench/report": false,
		"web/src/main.ts": true, "web/dist/app.js": false, "go.mod": false,
	} {
		if got := d.excludes(name); got != want {
			t.Errorf("excludes(%q) = %v, want %v", name, got, want)
		}
	}
}
