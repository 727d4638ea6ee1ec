package store_test

import (
	"encoding/json"
	"testing"

	"github.com/pantheon-oracles/pantheon/lobby/store"
)

// TestTicketStateStrings: the typed ticket states keep the API's state
// strings in String and JSON, and Terminal holds for all but queued and
// matched.
func TestTicketStateStrings(t *testing.T) {
	for st, want := range map[store.TicketState]struct {
		s        string
		terminal bool
	}{
		store.StateQueued: {"queued", false}, store.StateMatched: {"matched", false}, store.StateAssigned: {"assigned", true},
		store.StateCancelled: {"cancelled", true}, store.StateExpired: {"expired", true}, store.StateFailed: {"failed", true},
		store.StateEnded: {"ended", true},
	} {
		b, err := json.Marshal(struct {
			State store.TicketState `json:"state"`
		}{st})
		if err != nil || string(b) != `{"state":"`+want.s+`"}` || st.String() != want.s {
			t.Errorf("state %q: JSON %s (%v), String %q", want.s, b, err, st.String())
		}
		if store.Terminal(st) != want.terminal {
			t.Errorf("Terminal(%s) = %v", st, !want.terminal)
		}
	}
}
