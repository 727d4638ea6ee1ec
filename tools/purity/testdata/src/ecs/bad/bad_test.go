package bad

import (
	"sync"
	"time"
)

// Test files may use clocks, goroutines and floats.
func helper() float64 {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { wg.Done() }()
	wg.Wait()
	return time.Since(time.Now()).Seconds()
}
