package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// checkCommandFlags fails t when args (a pantheon container's command,
// subcommand first) name a flag, or give a value, the binary's real flag
// set refuses. It runs the subcommand with -h appended, which parses the
// flags and stops; every flag must be written --name=value so parsing
// cannot stop early at a positional argument and start a server.
func checkCommandFlags(t *testing.T, where string, args []string) {
	t.Helper()
	if len(args) == 0 {
		t.Errorf("%s: empty command", where)
		return
	}
	sub, flags := args[0], args[1:]
	run := map[string]func(context.Context, []string, io.Writer, io.Writer) int{
		"lobby": runLobby, "room": runRoom, "migrate": runMigrate,
	}[sub]
	if run == nil {
		t.Errorf("%s: unknown subcommand %q", where, sub)
		return
	}
	if sub == "migrate" && len(flags) > 0 && (flags[0] == "up" || flags[0] == "status") {
		flags = flags[1:]
	}
	if sub == "migrate" && len(flags) == 2 && !strings.Contains(flags[0], "=") {
		flags = []string{flags[0] + "=" + flags[1]}
	}
	for _, f := range flags {
		if !strings.HasPrefix(f, "-") || !strings.Contains(f, "=") {
			t.Errorf("%s: argument %q: write every flag as --name=value", where, f)
			return
		}
	}
	var stderr bytes.Buffer
	run(context.Background(), append(append([]string(nil), flags...), "-h"), io.Discard, &stderr)
	for _, bad := range []string{"flag provided but not defined", "invalid value", "invalid boolean"} {
		if strings.Contains(stderr.String(), bad) {
			line, _, _ := strings.Cut(stderr.String(), "\n")
			t.Errorf("%s: pantheon %s refuses its flags: %s", where, sub, line)
		}
	}
}

// TestComposeFile checks deploy/compose.yaml: the services of the fleet are
// there, the migration runs to completion before the servers start, and
// every pantheon container's flags are accepted by the binary.
func TestComposeFile(t *testing.T) {
	b, err := os.ReadFile("deploy/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Image     string                    `yaml:"image"`
			Command   []string                  `yaml:"command"`
			DependsOn map[string]map[string]any `yaml:"depends_on"`
			Secrets   []string                  `yaml:"secrets"`
		} `yaml:"services"`
		Secrets map[string]struct {
			File string `yaml:"file"`
		} `yaml:"secrets"`
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"postgres", "redis", "migrate", "lobby-1", "lobby-2", "room-1", "room-2", "prometheus", "grafana"} {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("service %s missing", name)
		}
	}
	pantheon := 0
	for name, s := range c.Services {
		if s.Image != "pantheon:latest" {
			continue
		}
		pantheon++
		checkCommandFlags(t, "compose service "+name, s.Command)
		if name != "migrate" && s.DependsOn["migrate"]["condition"] != "service_completed_successfully" {
			t.Errorf("service %s does not wait for migrate to complete", name)
		}
		for _, sec := range s.Secrets {
			if _, ok := c.Secrets[sec]; !ok {
				t.Errorf("service %s uses undeclared secret %s", name, sec)
			}
		}
		for _, a := range s.Command {
			if _, v, ok := strings.Cut(a, "=@"); ok && !strings.HasPrefix(v, "/run/secrets/") {
				t.Errorf("service %s reads a secret from %s, not a compose secret", name, v)
			}
		}
	}
	if pantheon != 5 {
		t.Errorf("%d services run pantheon:latest, want 5 (migrate, 2 lobbies, 2 room servers)", pantheon)
	}
}

// TestComposeFlagCheckFails shows checkCommandFlags catches a flag the
// binary lacks.
func TestComposeFlagCheckFails(t *testing.T) {
	var stderr bytes.Buffer
	runRoom(context.Background(), []string{"--no-such-flag=1", "-h"}, io.Discard, &stderr)
	if !strings.Contains(stderr.String(), "flag provided but not defined") {
		t.Fatalf("room did not refuse an unknown flag: %s", stderr.String())
	}
}

// pantheonMetricRE matches metric names of the binary in PromQL.
var pantheonMetricRE = regexp.MustCompile(`\bpantheon_[a-z_]+`)

// addMetrics adds the pantheon_* metric names expr uses to used, a
// histogram's _bucket, _sum and _count series under the histogram's name.
func addMetrics(used map[string]bool, expr string) {
	for _, m := range pantheonMetricRE.FindAllString(expr, -1) {
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			m = strings.TrimSuffix(m, suf)
		}
		used[m] = true
	}
}

// TestDashboardMetricsExist starts the dev system, plays one match, and
// checks that every pantheon_* metric the Grafana dashboard and
// deploy/prometheus/alerts.yml use is on the lobby's or the room server's
// /metrics page, that each rule has an alert name, an expression and
// summary and description annotations, and that panel ids are unique.
func TestDashboardMetricsExist(t *testing.T) {
	b, err := os.ReadFile("deploy/prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &rules); err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	seen := map[string]bool{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Expr == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("rule %q of group %s lacks alert, expr, summary or description", r.Alert, g.Name)
			}
			if seen[r.Alert] {
				t.Errorf("alert %s defined twice", r.Alert)
			}
			seen[r.Alert] = true
			addMetrics(used, r.Expr)
		}
	}
	if len(used) == 0 {
		t.Fatal("alerts.yml uses no pantheon_* metric")
	}
	db, err := os.ReadFile("deploy/grafana/dashboards/pantheon.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			ID      int    `json:"id"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(db, &dash); err != nil {
		t.Fatal(err)
	}
	ids := map[int]bool{}
	for _, p := range dash.Panels {
		if ids[p.ID] {
			t.Errorf("dashboard panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		for _, tg := range p.Targets {
			addMetrics(used, tg.Expr)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	o := testDevOptions(t, "sqlite:"+filepath.Join(t.TempDir(), "pantheon.db"))
	o.Lobby.AdminAddr = "127.0.0.1:0"
	o.Room.Server.TickRates = map[string]int{"battle_1v1": 120}
	d, err := startDev(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := d.stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	if _, _, err := d.playBots(ctx, 2, "battle_1v1", io.Discard); err != nil {
		t.Fatal(err)
	}
	pages := scrape(t, "http://"+d.lobbyAdmin+"/metrics", "") + scrape(t, "http://"+d.room.AdminAddr()+"/metrics", d.fleetSecret)
	exported := map[string]bool{}
	for _, line := range strings.Split(pages, "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "#" && f[1] == "TYPE" {
			exported[f[2]] = true
		}
	}
	for m := range used {
		if !exported[m] {
			t.Errorf("the dashboard or alerts.yml uses %s, which neither /metrics page exports", m)
		}
	}
}
