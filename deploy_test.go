package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/server"
	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/intstr"
	sigsyaml "sigs.k8s.io/yaml"
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

// k8sDir holds the Kubernetes manifests and their kustomization.yaml.
const k8sDir = "deploy/k8s"

// k8sDecoder decodes manifests strictly into the typed objects of the
// kinds the manifests use: an unknown or misspelled field, a duplicate
// field or a value of the wrong type is an error.
func k8sDecoder(t *testing.T) runtime.Decoder {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, policyv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}

// k8sManifests are the decoded objects of deploy/k8s, by file name.
type k8sManifests struct {
	files       map[string][]runtime.Object
	deployments []*appsv1.Deployment
	statefuls   []*appsv1.StatefulSet
	jobs        []*batchv1.Job
	services    []*corev1.Service
	pdbs        []*policyv1.PodDisruptionBudget
	secrets     map[string]*corev1.Secret
}

// k8sWorkload is a pod template with where it comes from and, for a
// Deployment or StatefulSet, its selector.
type k8sWorkload struct {
	where    string
	selector *metav1.LabelSelector
	pod      *corev1.PodTemplateSpec
}

// workloads are the pod templates of every Deployment, StatefulSet and Job.
func (m *k8sManifests) workloads() []k8sWorkload {
	var w []k8sWorkload
	for _, d := range m.deployments {
		w = append(w, k8sWorkload{"Deployment " + d.Name, d.Spec.Selector, &d.Spec.Template})
	}
	for _, s := range m.statefuls {
		w = append(w, k8sWorkload{"StatefulSet " + s.Name, s.Spec.Selector, &s.Spec.Template})
	}
	for _, j := range m.jobs {
		w = append(w, k8sWorkload{"Job " + j.Name, nil, &j.Spec.Template})
	}
	return w
}

// loadK8sManifests decodes every .yaml file of deploy/k8s but
// kustomization.yaml, failing t on any decoding error.
func loadK8sManifests(t *testing.T) *k8sManifests {
	t.Helper()
	dec := k8sDecoder(t)
	paths, err := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m := &k8sManifests{files: map[string][]runtime.Object{}, secrets: map[string]*corev1.Secret{}}
	for _, p := range paths {
		name := filepath.Base(p)
		if name == "kustomization.yaml" {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
			if strings.TrimSpace(regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAllString(doc, "")) == "" {
				continue
			}
			obj, gvk, err := dec.Decode([]byte(doc), nil, nil)
			if err != nil {
				t.Errorf("%s document %d: %v", name, i+1, err)
				continue
			}
			if ns := obj.(metav1.Object).GetNamespace(); ns != "" {
				t.Errorf("%s: %s sets namespace %q; the manifests are namespace-agnostic", name, gvk.Kind, ns)
			}
			m.files[name] = append(m.files[name], obj)
			switch o := obj.(type) {
			case *appsv1.Deployment:
				m.deployments = append(m.deployments, o)
			case *appsv1.StatefulSet:
				m.statefuls = append(m.statefuls, o)
			case *batchv1.Job:
				m.jobs = append(m.jobs, o)
			case *corev1.Service:
				m.services = append(m.services, o)
			case *policyv1.PodDisruptionBudget:
				m.pdbs = append(m.pdbs, o)
			case *corev1.Secret:
				m.secrets[o.Name] = o
			default:
				t.Errorf("%s: unexpected kind %s", name, gvk.Kind)
			}
		}
		if len(m.files[name]) == 0 {
			t.Errorf("%s: no manifest in it", name)
		}
	}
	return m
}

// k8sSampleField is what the downward API gives each fieldPath the
// manifests use, for expanding $(VAR) in args.
var k8sSampleField = map[string]string{
	"metadata.name": "pantheon-room-0",
	"status.hostIP": "203.0.113.7",
	"status.podIP":  "10.244.1.7",
}

// expandK8sArgs returns c's args with every $(VAR) replaced as the kubelet
// does, from c's env: a literal value, or a sample of its downward-API
// field. It fails t on a variable c does not declare, or one from a
// Secret (which would put the secret in the command line).
func expandK8sArgs(t *testing.T, where string, c corev1.Container) []string {
	t.Helper()
	vals := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			vals[e.Name] = e.Value
		case e.ValueFrom.FieldRef != nil:
			v, ok := k8sSampleField[e.ValueFrom.FieldRef.FieldPath]
			if !ok {
				t.Errorf("%s: env %s: no sample value for field %s", where, e.Name, e.ValueFrom.FieldRef.FieldPath)
			}
			vals[e.Name] = v
		}
	}
	ref := regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)
	var out []string
	for _, a := range c.Args {
		out = append(out, ref.ReplaceAllStringFunc(a, func(s string) string {
			name := ref.FindStringSubmatch(s)[1]
			v, ok := vals[name]
			if !ok {
				t.Errorf("%s: argument %q uses $(%s), which is not a plain or downward-API env var of the container", where, a, name)
			}
			return v
		}))
	}
	return out
}

// k8sListeners maps, per subcommand, a containerPort's name to the flag
// giving its listen address and its protocol. probeListener is the flag of
// the listener serving /livez and /readyz: the lobby's admin handler
// (lobby/admin.go) and the room server's (server/admin.go).
var (
	k8sListeners = map[string]map[string]struct {
		flag  string
		proto corev1.Protocol
	}{
		"lobby": {"http": {"addr", corev1.ProtocolTCP}, "admin": {"admin-addr", corev1.ProtocolTCP}},
		"room":  {"kcp": {"kcp", corev1.ProtocolUDP}, "ws": {"ws", corev1.ProtocolTCP}, "admin": {"admin", corev1.ProtocolTCP}},
	}
	probeListener = map[string]string{"lobby": "admin-addr", "room": "admin"}
)

// commandFlagValue is the value of flag name in args (--name=value), else
// the flag's default in sub's real flag set.
func commandFlagValue(t *testing.T, sub string, args []string, name string) string {
	t.Helper()
	for _, a := range args {
		if v, ok := strings.CutPrefix(strings.TrimLeft(a, "-"), name+"="); ok {
			return v
		}
	}
	fs := flag.NewFlagSet(sub, flag.ContinueOnError)
	switch sub {
	case "lobby":
		o := defaultLobbyOptions()
		if err := lobbyFlags(fs, &o); err != nil {
			t.Fatal(err)
		}
	case "room":
		o := defaultRoomOptions()
		roomFlags(fs, &o)
	}
	f := fs.Lookup(name)
	if f == nil {
		t.Fatalf("pantheon %s has no flag %s", sub, name)
	}
	return f.DefValue
}

// listenPort is the port of a listen address, failing t when the address
// binds loopback only (the kubelet and Services could not reach it).
func listenPort(t *testing.T, where, addr string) int32 {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Errorf("%s: listen address %q: %v", where, addr, err)
		return 0
	}
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		t.Errorf("%s: listens on %s, loopback only: unreachable from outside the pod", where, addr)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Errorf("%s: listen address %q: %v", where, addr, err)
	}
	return int32(n)
}

// containerPort resolves a probe's or Service's target port (a name or a
// number) among c's ports.
func containerPort(c corev1.Container, p intstr.IntOrString) (corev1.ContainerPort, bool) {
	for _, cp := range c.Ports {
		if p.Type == intstr.String && cp.Name == p.StrVal || p.Type == intstr.Int && cp.ContainerPort == p.IntVal {
			return cp, true
		}
	}
	return corev1.ContainerPort{}, false
}

// checkK8sContainer checks one pantheon container: the image, the flags
// (after $(VAR) expansion) through the real flag parsing, the PANTHEON_*
// variables it sets being read by the subcommand, its secrets, ports,
// probes, resources and security context. It returns the expanded args.
func checkK8sContainer(t *testing.T, m *k8sManifests, where string, pod *corev1.PodSpec, c corev1.Container) []string {
	t.Helper()
	where += " container " + c.Name
	if c.Image != "pantheon:VERSION" {
		t.Errorf("%s: image %q, want pantheon:VERSION (set by kustomization.yaml's images)", where, c.Image)
	}
	if len(c.Command) != 0 {
		t.Errorf("%s: sets command; give the subcommand and flags as args, the image's entrypoint is pantheon", where)
	}
	args := expandK8sArgs(t, where, c)
	checkCommandFlags(t, where, args)
	if len(args) == 0 {
		return nil
	}
	sub := args[0]
	var help bytes.Buffer
	map[string]func(context.Context, []string, io.Writer, io.Writer) int{"lobby": runLobby, "room": runRoom, "migrate": runMigrate}[sub](context.Background(), []string{"-h"}, io.Discard, &help)
	for _, e := range c.Env {
		if !strings.HasPrefix(e.Name, "PANTHEON_") {
			continue
		}
		// The room server reads PANTHEON_<FLAG> for every flag; the lobby
		// and migrate name the variables they read in their help.
		flagName := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(e.Name, "PANTHEON_"), "_", "-"))
		documented := regexp.MustCompile(`env ` + regexp.QuoteMeta(e.Name) + `\b`).MatchString(help.String())
		if !documented && !(sub == "room" && strings.Contains(help.String(), "-"+flagName+" ")) {
			t.Errorf("%s: sets %s, which pantheon %s does not read", where, e.Name, sub)
		}
		if r := e.ValueFrom; r != nil && r.SecretKeyRef != nil {
			if s := m.secrets[r.SecretKeyRef.Name]; s == nil || s.StringData[r.SecretKeyRef.Key] == "" {
				t.Errorf("%s: env %s reads key %s of Secret %s, which the manifests do not define", where, e.Name, r.SecretKeyRef.Key, r.SecretKeyRef.Name)
			}
		}
	}
	// --flag=@/run/secrets/NAME: NAME is an item of a mounted Secret.
	for _, a := range args {
		_, file, ok := strings.Cut(a, "=@")
		if !ok {
			continue
		}
		found := false
		for _, vm := range c.VolumeMounts {
			for _, v := range pod.Volumes {
				if v.Name != vm.Name || v.Secret == nil {
					continue
				}
				for _, it := range v.Secret.Items {
					if filepath.Join(vm.MountPath, it.Path) == file && m.secrets[v.Secret.SecretName] != nil && m.secrets[v.Secret.SecretName].StringData[it.Key] != "" {
						found = true
					}
				}
			}
		}
		if !found {
			t.Errorf("%s: %s reads a file that no mounted key of a defined Secret provides", where, a)
		}
	}
	listeners := k8sListeners[sub]
	if len(c.Ports) != len(listeners) {
		t.Errorf("%s: %d container ports, want one per listener (%d)", where, len(c.Ports), len(listeners))
	}
	for _, cp := range c.Ports {
		l, ok := listeners[cp.Name]
		if !ok {
			t.Errorf("%s: container port %q is no listener of pantheon %s", where, cp.Name, sub)
			continue
		}
		if want := listenPort(t, where+" --"+l.flag, commandFlagValue(t, sub, args, l.flag)); cp.ContainerPort != want {
			t.Errorf("%s: container port %s is %d, but --%s listens on %d", where, cp.Name, cp.ContainerPort, l.flag, want)
		}
		if cp.Protocol != l.proto {
			t.Errorf("%s: container port %s protocol %s, want %s", where, cp.Name, cp.Protocol, l.proto)
		}
	}
	if flagName, ok := probeListener[sub]; ok {
		want := listenPort(t, where+" --"+flagName, commandFlagValue(t, sub, args, flagName))
		for kind, p := range map[string]*corev1.Probe{"/livez": c.LivenessProbe, "/readyz": c.ReadinessProbe} {
			if p == nil || p.HTTPGet == nil {
				t.Errorf("%s: no httpGet probe for %s", where, kind)
				continue
			}
			if p.HTTPGet.Path != kind {
				t.Errorf("%s: probe path %s, want %s", where, p.HTTPGet.Path, kind)
			}
			if cp, ok := containerPort(c, p.HTTPGet.Port); !ok || cp.ContainerPort != want {
				t.Errorf("%s: probe %s on port %s, but the probes are served by --%s on %d", where, kind, p.HTTPGet.Port.String(), flagName, want)
			}
		}
	}
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if c.Resources.Requests.Name(res, resource.DecimalSI).IsZero() || c.Resources.Limits.Name(res, resource.DecimalSI).IsZero() {
			t.Errorf("%s: no %s request and limit", where, res)
		}
	}
	sc, psc := c.SecurityContext, pod.SecurityContext
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("%s: want allowPrivilegeEscalation false and readOnlyRootFilesystem true", where)
	}
	if (sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot) && (psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot) {
		t.Errorf("%s: runAsNonRoot not set", where)
	}
	return args
}

// TestKubernetesManifests checks deploy/k8s: every manifest decodes
// strictly into its Kubernetes type, the files and kustomization.yaml's
// resources are the same, every pantheon container's flags (with $(VAR)
// expanded) pass the real flag parsing, ports and probes are on the
// listeners the flags open, selectors match their pod templates, Services
// and disruption budgets select a workload's declared ports and pods, the
// room servers advertise their hostPorts and outlast their drain, and the
// Secret is a placeholder the binary refuses.
func TestKubernetesManifests(t *testing.T) {
	m := loadK8sManifests(t)

	b, err := os.ReadFile(filepath.Join(k8sDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var kust struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Resources  []string `json:"resources"`
		Images     []struct {
			Name    string `json:"name"`
			NewName string `json:"newName"`
			NewTag  string `json:"newTag"`
		} `json:"images"`
	}
	if err := sigsyaml.UnmarshalStrict(b, &kust); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	if kust.APIVersion != "kustomize.config.k8s.io/v1beta1" || kust.Kind != "Kustomization" {
		t.Errorf("kustomization.yaml: %s %s, want kustomize.config.k8s.io/v1beta1 Kustomization", kust.APIVersion, kust.Kind)
	}
	listed := map[string]bool{}
	for _, r := range kust.Resources {
		if listed[r] {
			t.Errorf("kustomization.yaml lists %s twice", r)
		}
		listed[r] = true
		if _, ok := m.files[r]; !ok {
			t.Errorf("kustomization.yaml lists %s, which is not a manifest in %s", r, k8sDir)
		}
	}
	for f := range m.files {
		if !listed[f] {
			t.Errorf("%s/%s is not in kustomization.yaml", k8sDir, f)
		}
	}
	if len(kust.Images) != 1 || kust.Images[0].Name != "pantheon" || kust.Images[0].NewTag == "" {
		t.Errorf("kustomization.yaml: want one images entry for pantheon with newTag, got %+v", kust.Images)
	}

	subs := map[string]int{}
	for _, w := range m.workloads() {
		if w.selector != nil {
			sel, err := metav1.LabelSelectorAsSelector(w.selector)
			if err != nil || sel.Empty() || !sel.Matches(labels.Set(w.pod.Labels)) {
				t.Errorf("%s: selector %v does not match its pod labels %v (%v)", w.where, w.selector, w.pod.Labels, err)
			}
		}
		if len(w.pod.Spec.Containers) != 1 {
			t.Errorf("%s: %d containers, want 1", w.where, len(w.pod.Spec.Containers))
		}
		for _, c := range w.pod.Spec.Containers {
			args := checkK8sContainer(t, m, w.where, &w.pod.Spec, c)
			if len(args) > 0 {
				subs[args[0]]++
			}
		}
	}
	if subs["lobby"] != 1 || subs["room"] != 1 || subs["migrate"] != 1 {
		t.Errorf("pantheon subcommands run: %v, want one each of lobby, room and migrate", subs)
	}
	for _, d := range m.deployments {
		if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
			t.Errorf("Deployment %s: want 2 replicas", d.Name)
		}
	}
	for _, j := range m.jobs {
		if p := j.Spec.Template.Spec.RestartPolicy; p != corev1.RestartPolicyOnFailure && p != corev1.RestartPolicyNever {
			t.Errorf("Job %s: restartPolicy %q, want OnFailure or Never", j.Name, p)
		}
	}
	if len(m.statefuls) != 1 {
		t.Fatalf("%d StatefulSets, want 1 (the room servers)", len(m.statefuls))
	}
	checkRoomStatefulSet(t, m, m.statefuls[0])

	// Services send to declared ports of the pods they select.
	for _, s := range m.services {
		var pods []k8sWorkload
		for _, w := range m.workloads() {
			if w.selector != nil && labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(w.pod.Labels)) && len(s.Spec.Selector) > 0 {
				pods = append(pods, w)
			}
		}
		if len(pods) == 0 {
			t.Errorf("Service %s: selector %v matches no Deployment or StatefulSet", s.Name, s.Spec.Selector)
		}
		for _, p := range s.Spec.Ports {
			for _, w := range pods {
				ok := false
				for _, c := range w.pod.Spec.Containers {
					if cp, found := containerPort(c, p.TargetPort); found && cp.Protocol == p.Protocol {
						ok = true
					}
				}
				if !ok {
					t.Errorf("Service %s port %s: target %s/%s is no container port of %s", s.Name, p.Name, p.TargetPort.String(), p.Protocol, w.where)
				}
			}
		}
	}
	// Every Deployment and StatefulSet has a disruption budget, and every
	// budget selects one of them.
	for _, w := range m.workloads() {
		if w.selector == nil {
			continue
		}
		n := 0
		for _, p := range m.pdbs {
			sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
			if err == nil && !sel.Empty() && sel.Matches(labels.Set(w.pod.Labels)) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %d PodDisruptionBudgets select it, want 1", w.where, n)
		}
	}
	for _, p := range m.pdbs {
		sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
		n := 0
		for _, w := range m.workloads() {
			if err == nil && w.selector != nil && !sel.Empty() && sel.Matches(labels.Set(w.pod.Labels)) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("PodDisruptionBudget %s selects no Deployment or StatefulSet", p.Name)
		}
		if (p.Spec.MinAvailable == nil) == (p.Spec.MaxUnavailable == nil) {
			t.Errorf("PodDisruptionBudget %s: set exactly one of minAvailable and maxUnavailable", p.Name)
		}
	}

	// The Secret is a placeholder: every value says REPLACE_ME, and the
	// keys are too short for the binary to accept.
	if len(m.secrets) != 1 {
		t.Errorf("%d Secrets, want 1 placeholder", len(m.secrets))
	}
	for _, s := range m.secrets {
		if len(s.Data) != 0 {
			t.Errorf("Secret %s: data set; the placeholder has stringData only", s.Name)
		}
		for k, v := range s.StringData {
			if !strings.Contains(v, "REPLACE_ME") {
				t.Errorf("Secret %s: key %s holds %q, not a REPLACE_ME placeholder", s.Name, k, v)
			}
			if strings.HasSuffix(k, "_key") || strings.HasSuffix(k, "_secret") {
				if len(v) >= server.MinFleetSecretBytes {
					t.Errorf("Secret %s: placeholder %s is %d bytes, long enough to be accepted", s.Name, k, len(v))
				}
			}
		}
	}
}

// checkRoomStatefulSet checks the room servers: two, behind a headless
// Service, the player-facing ports as hostPorts advertised with the
// node's address, a stable server id, the outbox on the claimed volume,
// and a grace period longer than the drain and the flush.
func checkRoomStatefulSet(t *testing.T, m *k8sManifests, s *appsv1.StatefulSet) {
	t.Helper()
	where := "StatefulSet " + s.Name
	if s.Spec.Replicas == nil || *s.Spec.Replicas != 2 {
		t.Errorf("%s: want 2 replicas", where)
	}
	headless := false
	for _, svc := range m.services {
		if svc.Name == s.Spec.ServiceName && svc.Spec.ClusterIP == corev1.ClusterIPNone {
			headless = true
		}
	}
	if !headless {
		t.Errorf("%s: serviceName %q is not a headless Service of the manifests", where, s.Spec.ServiceName)
	}
	pod := s.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		return
	}
	c := pod.Containers[0]
	args := expandK8sArgs(t, where, c)
	if len(args) == 0 || args[0] != "room" {
		t.Fatalf("%s: does not run pantheon room", where)
	}
	hostIP := k8sSampleField["status.hostIP"]
	for name, public := range map[string]string{"kcp": "public-kcp", "ws": "public-ws"} {
		cp, _ := containerPort(c, intstr.FromString(name))
		if cp.HostPort == 0 || cp.HostPort != cp.ContainerPort {
			t.Errorf("%s: port %s has hostPort %d, want its container port %d", where, name, cp.HostPort, cp.ContainerPort)
		}
		adv := strings.TrimSuffix(strings.TrimPrefix(commandFlagValue(t, "room", args, public), "ws://"), "/v1/play")
		if want := net.JoinHostPort(hostIP, strconv.Itoa(int(cp.HostPort))); adv != want {
			t.Errorf("%s: --%s advertises %s, want the node address and hostPort %s", where, public, adv, want)
		}
	}
	if id := commandFlagValue(t, "room", args, "server-id"); id != k8sSampleField["metadata.name"] {
		t.Errorf("%s: --server-id=%q, want the pod name $(POD_NAME)", where, id)
	}
	outbox := commandFlagValue(t, "room", args, "outbox")
	onClaim := false
	for _, vm := range c.VolumeMounts {
		for _, vc := range s.Spec.VolumeClaimTemplates {
			if vm.Name == vc.Name && strings.HasPrefix(outbox+"/", strings.TrimSuffix(vm.MountPath, "/")+"/") {
				onClaim = true
			}
		}
	}
	if !onClaim {
		t.Errorf("%s: --outbox=%s is not on a volume claim, so results would not survive a restart", where, outbox)
	}
	var drain time.Duration
	for _, f := range []string{"drain-timeout", "flush-timeout"} {
		d, err := time.ParseDuration(commandFlagValue(t, "room", args, f))
		if err != nil {
			t.Errorf("%s: --%s: %v", where, f, err)
		}
		drain += d
	}
	if g := pod.TerminationGracePeriodSeconds; g == nil || time.Duration(*g)*time.Second <= drain {
		t.Errorf("%s: terminationGracePeriodSeconds is not longer than drain plus flush (%v)", where, drain)
	}
	// Heartbeats go to the lobby Service of the manifests.
	for _, u := range strings.Split(commandFlagValue(t, "room", args, "lobby"), ",") {
		pu, err := url.Parse(u)
		found := false
		for _, svc := range m.services {
			for _, p := range svc.Spec.Ports {
				if err == nil && pu.Hostname() == svc.Name && pu.Port() == strconv.Itoa(int(p.Port)) {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("%s: --lobby URL %q is no Service port of the manifests", where, u)
		}
	}
}

// TestKubernetesDecoderStrict shows the manifests' decoder refuses a
// misspelled field and a field in the wrong case.
func TestKubernetesDecoderStrict(t *testing.T) {
	dec := k8sDecoder(t)
	good := "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: x\nspec:\n  maxUnavailable: 1\n"
	if _, _, err := dec.Decode([]byte(good), nil, nil); err != nil {
		t.Fatalf("valid manifest refused: %v", err)
	}
	for _, bad := range []string{
		strings.Replace(good, "maxUnavailable", "maxUnavailabel", 1),
		strings.Replace(good, "maxUnavailable", "MaxUnavailable", 1),
	} {
		if _, _, err := dec.Decode([]byte(bad), nil, nil); err == nil {
			t.Errorf("decoder accepted %q", bad)
		}
	}
}
