package buildinfo

import (
	"runtime"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestGetAndCollector: Get always names a version, a commit and the Go
// version; the gauge is 1 with the same labels.
func TestGetAndCollector(t *testing.T) {
	info := Get()
	if info.GoVersion != runtime.Version() || info.Version == "" || info.Commit == "" {
		t.Fatalf("info %+v", info)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(Collector())
	mfs, err := reg.Gather()
	if err != nil || len(mfs) != 1 || mfs[0].GetName() != "pantheon_build_info" || len(mfs[0].GetMetric()) != 1 {
		t.Fatalf("gathered %v %v", mfs, err)
	}
	m := mfs[0].GetMetric()[0]
	labels := map[string]string{}
	for _, l := range m.GetLabel() {
		labels[l.GetName()] = l.GetValue()
	}
	if m.GetGauge().GetValue() != 1 || labels["version"] != info.Version || labels["commit"] != info.Commit || labels["goversion"] != info.GoVersion {
		t.Fatalf("pantheon_build_info %v = %v, want %+v = 1", labels, m.GetGauge().GetValue(), info)
	}
}
