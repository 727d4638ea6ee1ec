package server

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// FuzzTicketCheck feeds the ticket check every server runs before it
// admits a session (the hello's ticket string) with hostile strings: it
// must never panic nor accept a ticket it did not sign.
func FuzzTicketCheck(f *testing.F) {
	tk, err := NewTickets(bytes.Repeat([]byte("t"), 32))
	if err != nil {
		f.Fatal(err)
	}
	good, _, err := tk.Issue(KindJoin, "r_1", 0, "p_0", time.Now(), time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	parts := strings.Split(good, ".")
	for _, s := range []string{
		"", ".", "..", "a.b.c", good[:len(good)/2], good + "x",
		"eyJhbGciOiJub25lIn0." + parts[1] + ".", // alg none
		parts[0] + "." + strings.Repeat("A", 3900) + "." + parts[2],
		strings.Repeat("e", 4000),
		strings.Repeat(".", 4000),
	} {
		f.Add(s)
	}
	other, _ := NewTickets(bytes.Repeat([]byte("o"), 32))
	forged, _, _ := other.Issue(KindJoin, "r_1", 0, "p_0", time.Now(), time.Hour)
	f.Add(forged)
	f.Fuzz(func(t *testing.T, s string) {
		c, err := tk.CheckIgnoringExpiry(s, KindJoin)
		if err == nil && s != good && c.Room != "r_1" {
			t.Fatalf("accepted a ticket it did not sign: %q -> %+v", s, c)
		}
	})
}
