//go:build unix

package fdlimit

import (
	"os"
	"testing"
)

// TestRaise: after Raise the soft limit equals the hard one.
func TestRaise(t *testing.T) {
	got, err := Raise()
	if err != nil {
		t.Fatal(err)
	}
	soft, hard, err := Limit()
	if err != nil {
		t.Fatal(err)
	}
	if soft != hard || got != soft {
		t.Fatalf("soft %d hard %d, Raise returned %d", soft, hard, got)
	}
}

// TestOpen: opening a file adds one descriptor, closing it takes it away.
func TestOpen(t *testing.T) {
	before := Open()
	if before <= 0 {
		t.Skip("descriptors cannot be counted here")
	}
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	if got := Open(); got != before+1 {
		t.Fatalf("open %d after opening one file, want %d", got, before+1)
	}
	f.Close()
	if got := Open(); got != before {
		t.Fatalf("open %d after closing it, want %d", got, before)
	}
}
