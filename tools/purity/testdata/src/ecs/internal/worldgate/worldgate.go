package worldgate

import (
	"sync"
	"time" // want `import "time": reads the clock`

	"github.com/yohamta/donburi"
)

var mu sync.Mutex

func NewWorld() donburi.World {
	mu.Lock()
	defer mu.Unlock()
	_ = time.Now
	return donburi.NewWorld()
}
