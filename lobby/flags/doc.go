// Package flags defines feature flags as data and evaluates them.
//
// A Definition (JSON) has a key, a type (boolean or variant), a default and
// ordered rules by platform, region, app version, release phase (alpha <
// beta < rc < ga), player allow-list and deterministic percentage rollout
// by player id. Evaluation is not written here: callers use the OpenFeature
// Go SDK (Evaluator, an isolated OpenFeature API), whose Provider
// translates definitions into GrowthBook features and the evaluation
// context into GrowthBook attributes; the GrowthBook Go SDK evaluates the
// rules.
//
//	d, err := flags.Parse([]byte(`{"key":"mode.raid","type":"boolean","default":false,
//		"rules":[{"platforms":["pc"],"percent":25,"value":true}]}`))
//	ev, err := flags.NewEvaluator(ctx)
//	err = ev.Load([]flags.Definition{d})
//	on := ev.Bool(ctx, "mode.raid", flags.Context{PlayerID: "p1", Platform: "pc"}, true)
package flags
