package flags

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func evaluator(t *testing.T, defs ...string) *Evaluator {
	t.Helper()
	ctx := context.Background()
	ev, err := NewEvaluator(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ev.Close(ctx) })
	var ds []Definition
	for _, s := range defs {
		d, err := Parse([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	if err := ev.Load(ds); err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestFlagRules(t *testing.T) {
	ev := evaluator(t,
		`{"key":"mode.raid","type":"boolean","default":false,"rules":[{"platforms":["pc","vr"],"regions":["eu"],"value":true}]}`,
		`{"key":"beta.thing","type":"boolean","default":false,"rules":[{"phase":"beta","value":true}]}`,
		`{"key":"vip","type":"boolean","default":false,"rules":[{"players":["p-vip"],"value":true}]}`,
		`{"key":"new.ui","type":"boolean","default":false,"rules":[{"min_app_version":"1.10.0","max_app_version":"2.0.0","value":true}]}`,
		`{"key":"theme","type":"variant","variants":["classic","winter"],"default":"classic","rules":[{"regions":["na"],"value":"winter"}]}`,
	)
	ctx := context.Background()
	for _, c := range []struct {
		flag string
		c    Context
		want any
	}{
		{"mode.raid", Context{PlayerID: "p1", Platform: "pc", Region: "eu"}, true},
		{"mode.raid", Context{PlayerID: "p1", Platform: "vr", Region: "eu"}, true},
		{"mode.raid", Context{PlayerID: "p1", Platform: "ios", Region: "eu"}, false},
		{"mode.raid", Context{PlayerID: "p1", Platform: "pc", Region: "na"}, false},
		{"mode.raid", Context{PlayerID: "p1"}, false},
		{"beta.thing", Context{PlayerID: "p1", Phase: Alpha}, true},
		{"beta.thing", Context{PlayerID: "p1", Phase: Beta}, true},
		{"beta.thing", Context{PlayerID: "p1", Phase: RC}, false},
		{"beta.thing", Context{PlayerID: "p1"}, false},
		{"vip", Context{PlayerID: "p-vip"}, true},
		{"vip", Context{PlayerID: "p-other"}, false},
		{"new.ui", Context{PlayerID: "p1", AppVersion: "1.10.0"}, true},
		{"new.ui", Context{PlayerID: "p1", AppVersion: "1.9.9"}, false},
		{"new.ui", Context{PlayerID: "p1", AppVersion: "2.0.1"}, false},
		{"new.ui", Context{PlayerID: "p1", AppVersion: "garbage"}, false},
		{"theme", Context{PlayerID: "p1", Region: "na"}, "winter"},
		{"theme", Context{PlayerID: "p1", Region: "eu"}, "classic"},
	} {
		got := ev.Evaluate(ctx, c.c)[c.flag]
		if got != c.want {
			t.Errorf("%s for %+v = %v, want %v", c.flag, c.c, got, c.want)
		}
	}
	if !ev.Bool(ctx, "undefined", Context{}, true) {
		t.Error("an undefined flag did not answer its default")
	}
}

func TestFlagPercentRollout(t *testing.T) {
	ev := evaluator(t, `{"key":"roll","type":"boolean","default":false,"rules":[{"percent":25,"value":true}]}`)
	ctx := context.Background()
	on := map[string]bool{}
	n := 0
	for i := range 1000 {
		id := fmt.Sprintf("player-%04d", i)
		on[id] = ev.Bool(ctx, "roll", Context{PlayerID: id}, false)
		if on[id] {
			n++
		}
	}
	if n < 200 || n > 300 {
		t.Fatalf("25%% rollout took %d of 1000 players", n)
	}
	for id, want := range on {
		if ev.Bool(ctx, "roll", Context{PlayerID: id}, false) != want {
			t.Fatalf("player %s changed bucket", id)
		}
	}
	if ev.Bool(ctx, "roll", Context{}, false) {
		t.Error("a caller without a player id was rolled in")
	}
}

func TestFlagValidation(t *testing.T) {
	for _, c := range []struct{ def, want string }{
		{`{"key":"Bad Key","type":"boolean","default":false}`, "key"},
		{`{"key":"a","type":"number","default":1}`, "type"},
		{`{"key":"a","type":"boolean","default":"yes"}`, "default"},
		{`{"key":"a","type":"variant","variants":["x"],"default":"y"}`, "default"},
		{`{"key":"a","type":"boolean","default":false,"rules":[{"percent":120,"value":true}]}`, "rules[0].percent"},
		{`{"key":"a","type":"boolean","default":false,"rules":[{"phase":"gamma","value":true}]}`, "rules[0].phase"},
		{`{"key":"a","type":"boolean","default":false,"rules":[{"min_app_version":"one","value":true}]}`, "rules[0].min_app_version"},
		{`{"key":"a","type":"boolean","default":false,"extra":1}`, "unknown field"},
	} {
		_, err := Parse([]byte(c.def))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%s) = %v, want an ErrInvalid naming %s", c.def, err, c.want)
		}
	}
}
