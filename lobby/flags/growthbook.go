package flags

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// The translation of definitions into GrowthBook features. Evaluation
// (conditions, rule order, percentage rollouts) is GrowthBook's; this file
// only maps our rule fields onto its feature JSON, which its SDK parses.

// GrowthBook attribute names the provider sets from the evaluation context.
const (
	attrID         = "id" // the player id, also the rollout hash attribute
	attrPlatform   = "platform"
	attrRegion     = "region"
	attrAppVersion = "app_version"
	attrPhaseRank  = "phase_rank" // Phase.Rank of the caller's phase (GA when unset)
)

// gbFeature is one GrowthBook feature definition (its SDK's JSON format).
type gbFeature struct {
	DefaultValue json.RawMessage `json:"defaultValue"`
	Rules        []gbRule        `json:"rules,omitempty"`
}

// gbRule is a GrowthBook force rule: serve Force when Condition holds and,
// with Coverage set, the player's hash of HashAttribute (seeded by Seed)
// falls under Coverage.
type gbRule struct {
	ID            string          `json:"id"`
	Condition     map[string]any  `json:"condition,omitempty"`
	Force         json.RawMessage `json:"force"`
	Coverage      *float64        `json:"coverage,omitempty"`
	HashAttribute string          `json:"hashAttribute,omitempty"`
	HashVersion   int             `json:"hashVersion,omitempty"`
	Seed          string          `json:"seed,omitempty"`
}

// ruleID names rule i in GrowthBook results (FeatureResult.RuleId).
func ruleID(i int) string { return "rule" + strconv.Itoa(i) }

// growthBookFeatures returns defs as a GrowthBook features JSON object
// keyed by flag key. The caller has validated defs.
func growthBookFeatures(defs []Definition) ([]byte, error) {
	out := make(map[string]gbFeature, len(defs))
	for _, d := range defs {
		f := gbFeature{DefaultValue: d.Default}
		for i, r := range d.Rules {
			f.Rules = append(f.Rules, growthBookRule(d.Key, i, r))
		}
		out[d.Key] = f
	}
	data, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("flags: growthbook features: %w", err)
	}
	return data, nil
}

func growthBookRule(key string, i int, r Rule) gbRule {
	cond := map[string]any{}
	if len(r.Platforms) > 0 {
		cond[attrPlatform] = map[string]any{"$in": r.Platforms}
	}
	if len(r.Regions) > 0 {
		cond[attrRegion] = map[string]any{"$in": r.Regions}
	}
	if len(r.Players) > 0 {
		cond[attrID] = map[string]any{"$in": r.Players}
	}
	if r.MinAppVersion != "" || r.MaxAppVersion != "" {
		v := map[string]any{}
		if r.MinAppVersion != "" {
			v["$vgte"] = r.MinAppVersion
		}
		if r.MaxAppVersion != "" {
			v["$vlte"] = r.MaxAppVersion
		}
		cond[attrAppVersion] = v
	}
	if r.Phase != "" {
		cond[attrPhaseRank] = map[string]any{"$lte": r.Phase.Rank()}
	}
	gr := gbRule{ID: ruleID(i), Condition: cond, Force: r.Value}
	if r.Percent != nil {
		cov := *r.Percent / 100
		// Seeded by the flag key, not the rule: a player keeps its bucket
		// when the rules around it change, and hash version 2 is
		// GrowthBook's evenly distributed one.
		gr.Coverage, gr.HashAttribute, gr.HashVersion, gr.Seed = &cov, attrID, 2, key
	}
	return gr
}
