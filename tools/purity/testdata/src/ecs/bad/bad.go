package bad

import (
	"container/list" // want `import "container/list": not on the allowlist`
	"fmt"
	"math"
	"math/rand" // want `import "math/rand": is a global or unseeded RNG`
	"os"        // want `import "os": does operating-system I/O`
	"sync"      // want `import "sync": is for concurrency`
	"time"      // want `import "time": reads the clock`

	"github.com/other/lib"                  // want `import "github.com/other/lib": the simulation imports only donburi`
	donecs "github.com/yohamta/donburi/ecs" // want `donburi's ecs subpackage`
)

type state struct {
	hp    int32
	speed float64 // want `speed has a float type`
}

var mu sync.Mutex

func step(m map[string]int, s []int) int {
	total := 0
	for k := range m { // want `range over a map`
		total += len(k)
	}
	for _, v := range s {
		total += v
	}
	ratio := 0.5 // want `ratio has a float type`
	_ = ratio
	total += int(math.Sqrt(4)) // want `call or conversion yields a float`
	go func() {}()             // want `go statement`
	ch := make(chan int)       // want `channel use`
	_ = ch
	fmt.Println(total) // want `fmt.Println writes to stdout`
	println(total)     // want `println writes to stderr`
	_ = time.Now()
	_ = os.Args
	_ = rand.Int()
	_ = lib.F()
	_ = list.New()
	_ = donecs.Time()
	_ = fmt.Sprintf("%d", total) // formatting without I/O is fine
	return total + int(math.MaxInt16) + int(1e3)
}
