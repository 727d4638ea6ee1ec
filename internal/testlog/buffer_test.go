package testlog

import (
	"fmt"
	"sync"
	"testing"
)

func TestBuffer(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() { fmt.Fprintf(&b, "line %d\n", i) })
	}
	wg.Wait()
	if n := b.Count("line "); n != 4 {
		t.Fatalf("Count = %d, want 4:\n%s", n, b.String())
	}
	fmt.Fprintf(&b, "last\n")
	if got := b.Tail(1); got != "last" {
		t.Fatalf("Tail(1) = %q, want %q", got, "last")
	}
	if got := b.Tail(99); got != b.String()[:len(b.String())-1] {
		t.Fatalf("Tail(99) = %q, want everything", got)
	}
}
