package contract_test

import (
	"encoding/json"
	"testing"

	"github.com/pantheon-oracles/pantheon/contract"
)

// TestOutcomeAndResultStrings: the typed outcomes and results keep their
// wire strings in String and JSON (both ways), and only the constants are
// valid.
func TestOutcomeAndResultStrings(t *testing.T) {
	outcomes := map[contract.Outcome]string{
		contract.OutcomeTeamWin: "team_win", contract.OutcomeDraw: "draw", contract.OutcomeRaidWin: "raid_win",
		contract.OutcomeWipe: "wipe", contract.OutcomeTimeout: "timeout", contract.OutcomeSuccess: "ritual_success",
		contract.OutcomeFailure: "ritual_failure", contract.OutcomeAborted: "aborted",
	}
	for o, want := range outcomes {
		if o.String() != want || !o.Valid() {
			t.Errorf("outcome %q: String %q, Valid %v", want, o.String(), o.Valid())
		}
		roundTrip(t, o, want)
	}
	results := map[contract.Result]string{contract.ResultWin: "win", contract.ResultLoss: "loss", contract.ResultDraw: "draw", contract.ResultAbandoned: "abandoned"}
	for r, want := range results {
		if r.String() != want || !r.Valid() {
			t.Errorf("result %q: String %q, Valid %v", want, r.String(), r.Valid())
		}
		roundTrip(t, r, want)
	}
	for _, bad := range []string{"", "win ", "Team_win", "refund"} {
		if contract.Outcome(bad).Valid() || contract.Result(bad).Valid() {
			t.Errorf("%q counts as an outcome or result", bad)
		}
	}
}

// roundTrip checks that v marshals to the JSON string want and decodes
// back to v.
func roundTrip[T comparable](t *testing.T, v T, want string) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil || string(b) != `"`+want+`"` {
		t.Errorf("%v marshals to %s (%v), want %q", v, b, err, want)
	}
	var back T
	if err := json.Unmarshal(b, &back); err != nil || back != v {
		t.Errorf("%s decodes to %v (%v)", b, back, err)
	}
}
