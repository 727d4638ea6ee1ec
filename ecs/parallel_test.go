package ecs_test

import (
	"sync"
	"testing"

	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/bot"
	"github.com/pantheon-oracles/pantheon/ecs/content"
)

// TestParallelSims creates and steps 12 Sims at once on 12 goroutines,
// sharing one *content.Bundle, across every mode. Under -race this catches any
// state shared between rooms (donburi's world counter and query caches are
// the known hazards). Each must also reach the same hashes as the same
// match played alone.
func TestParallelSims(t *testing.T) {
	c := loadContent(t)
	modes := []string{"battle_1v1", "battle_3v3", "battle_5v5", "raid", "ritual"}
	const rooms, ticks = 12, 300
	cfgs := make([]ecs.Config, rooms)
	want := make([]uint64, rooms)
	for i := range cfgs {
		arena := ""
		if i == 3 {
			arena = "echidna_brood" // 400 adds created while the others start
		}
		cfg, err := bot.DemoConfig(c, modes[i%len(modes)], arena, uint64(100+i))
		if err != nil {
			t.Fatal(err)
		}
		cfgs[i] = cfg
		want[i] = playFor(t, c, cfg, ticks)
	}
	got := make([]uint64, rooms)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range cfgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start // create every world at the same moment
			got[i] = playFor(t, c, cfgs[i], ticks)
		}()
	}
	close(start)
	wg.Wait()
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("room %d (%s): parallel hash %x, alone %x", i, cfgs[i].Mode, got[i], want[i])
		}
	}
}

// playFor plays cfg with bots for ticks ticks (or to its end) and returns
// the last hash.
func playFor(t testing.TB, c *content.Bundle, cfg ecs.Config, ticks int) uint64 {
	m, err := bot.NewMatch(c, cfg, 0)
	if err != nil {
		t.Error(err)
		return 0
	}
	var out ecs.Output
	for range ticks {
		if out = m.Step(); out.Done {
			break
		}
	}
	return out.Hash
}
