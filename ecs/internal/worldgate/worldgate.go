package worldgate

import (
	"sync"

	"github.com/yohamta/donburi"
)

// mu guards donburi's unsynchronised world counter. It is the one piece of
// process-wide state in the simulation, required by the upstream library.
var mu sync.Mutex

// NewWorld returns a fresh donburi world with a process-unique id. It is
// safe to call from many goroutines at once. The world itself is not safe
// for concurrent use: the caller owns it.
func NewWorld() donburi.World {
	mu.Lock()
	defer mu.Unlock()
	return donburi.NewWorld()
}
