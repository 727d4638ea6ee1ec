// Package buildinfo says which build of pantheon is running: its version,
// the commit it was built from and the Go version, for `pantheon version`,
// bench reports and the pantheon_build_info gauge of every /metrics.
//
// Release builds stamp the version and commit with -ldflags (`make build`
// does):
//
//	go build -ldflags "-X github.com/pantheon-oracles/pantheon/internal/buildinfo.version=v1.2.0 \
//	  -X github.com/pantheon-oracles/pantheon/internal/buildinfo.commit=$(git rev-parse HEAD)" .
//
// Without them the commit comes from the Go toolchain's VCS stamp
// (runtime/debug.ReadBuildInfo's vcs.revision, when the build had
// -buildvcs) and the version from the main module's version ("(devel)" for
// a checkout), else "dev" and "unknown".
//
//	info := buildinfo.Get()
//	fmt.Println(info.Version, info.Commit, info.GoVersion)
//	reg.MustRegister(buildinfo.Collector())
package buildinfo

import (
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
)

// Set at link time with -X (see the package doc); never assigned in code.
var (
	version string
	commit  string
)

// Info describes the running build.
type Info struct {
	// Version is the stamped version, else the main module's version
	// (a tag when built with go install module@version), else "dev".
	Version string `json:"version"`
	// Commit is the stamped commit, else vcs.revision (with "-dirty"
	// when vcs.modified), else "unknown".
	Commit string `json:"commit"`
	// GoVersion is the toolchain that built the binary (runtime.Version).
	GoVersion string `json:"go_version"`
}

// Get returns the running build's Info.
func Get() Info {
	info := Info{Version: version, Commit: commit, GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		if info.Commit == "" {
			rev, dirty := "", false
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					rev = s.Value
				case "vcs.modified":
					dirty = s.Value == "true"
				}
			}
			if rev != "" && dirty {
				rev += "-dirty"
			}
			info.Commit = rev
		}
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	if info.Commit == "" {
		info.Commit = "unknown"
	}
	return info
}

// Collector returns a gauge pantheon_build_info{version,commit,goversion}
// = 1 describing this build; each registry needs its own.
func Collector() prometheus.Collector {
	info := Get()
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "pantheon_build_info",
		Help:        "Always 1; its labels name the running build (pantheon version).",
		ConstLabels: prometheus.Labels{"version": info.Version, "commit": info.Commit, "goversion": info.GoVersion},
	})
	g.Set(1)
	return g
}
