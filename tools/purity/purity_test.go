package purity_test

import (
	"testing"

	"github.com/pantheon-oracles/pantheon/tools/purity"
	"golang.org/x/tools/go/analysis/analysistest"
)

// TestAnalyzer checks every rule against testdata/src: ecs/bad breaks each
// one (and its test file may, unreported), ecs/good is pure, and
// ecs/internal/worldgate may import sync but nothing else impure, and
// ecs/sharedquery misuses donburi queries in the two ways that race.
func TestAnalyzer(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), purity.New(), "ecs/bad", "ecs/good", "ecs/internal/worldgate", "ecs/sharedquery")
}

// TestAllowSyncFlag shows that without the allowance worldgate's sync import
// is reported too.
func TestAllowSyncFlag(t *testing.T) {
	a := purity.New()
	if err := a.Flags.Set("allow-sync", "nothing/else"); err != nil {
		t.Fatal(err)
	}
	results := analysistest.Run(&quietT{T: t}, analysistest.TestData(), a, "ecs/internal/worldgate")
	found := false
	for _, r := range results {
		for _, d := range r.Diagnostics {
			if d.Message == `import "sync": is for concurrency; a Sim is owned by one goroutine` {
				found = true
			}
		}
	}
	if !found {
		t.Fatal("sync import in worldgate not reported once the allowance is removed")
	}
}

// quietT swallows the "unexpected diagnostic" errors analysistest reports
// for the diagnostic this test provokes on purpose.
type quietT struct{ *testing.T }

func (q *quietT) Errorf(format string, args ...any) {}
