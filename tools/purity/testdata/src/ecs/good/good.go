package good

import (
	"math/bits"
	"slices"

	"ecs/internal/worldgate"

	"github.com/yohamta/donburi"
)

type pos struct{ x, y int32 }

func step(w donburi.World, ps []pos, m map[string]int) int {
	_ = worldgate.NewWorld()
	n := m["a"] // a map lookup is fine; only ranging is not
	for _, p := range ps {
		n += int(p.x) + bits.Len32(uint32(p.y))
	}
	keys := []string{"b", "a"}
	slices.Sort(keys)
	_ = w
	return n + len(keys)
}
