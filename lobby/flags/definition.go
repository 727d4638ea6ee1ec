package flags

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// Type is a flag's value type.
type Type string

// Flag types.
const (
	// Boolean flags are on or off (JSON true/false).
	Boolean Type = "boolean"
	// Variant flags take one of the definition's Variants (JSON strings).
	Variant Type = "variant"
)

// Phase is a release phase. Phases are ordered Alpha < Beta < RC < GA:
// a caller on an earlier phase is a more adventurous tester.
type Phase string

// Release phases, in order.
const (
	Alpha Phase = "alpha"
	Beta  Phase = "beta"
	RC    Phase = "rc"
	GA    Phase = "ga"
)

// phases lists the phases in order; Rank is the index plus one.
var phases = []Phase{Alpha, Beta, RC, GA}

// Rank returns p's position in Alpha < Beta < RC < GA (1 to 4), 0 for an
// unknown phase.
func (p Phase) Rank() int { return slices.Index(phases, p) + 1 }

// ParsePhase returns the phase named s (case-insensitive) or an error.
func ParsePhase(s string) (Phase, error) {
	p := Phase(strings.ToLower(strings.TrimSpace(s)))
	if p.Rank() == 0 {
		return "", fmt.Errorf("flags: unknown phase %q (want alpha, beta, rc or ga)", s)
	}
	return p, nil
}

// Definition is one flag as data: what operators write (JSON) and the
// store keeps.
type Definition struct {
	// Key names the flag: 1 to 64 of a-z, 0-9, '.', '_' and '-', starting
	// with a letter or digit. Keys "mode.<mode id>" gate queues (the
	// lobby's ticket creation).
	Key string `json:"key"`
	// Type is Boolean or Variant.
	Type Type `json:"type"`
	// Description says what the flag is for (free text, optional).
	Description string `json:"description,omitempty"`
	// Variants lists a Variant flag's values (1 to 32 distinct non-empty
	// strings); empty for a Boolean flag.
	Variants []string `json:"variants,omitempty"`
	// Default is the value when no rule matches: a JSON boolean for a
	// Boolean flag, one of Variants for a Variant flag.
	Default json.RawMessage `json:"default"`
	// Rules are tried in order; the first that matches the caller sets
	// the value. At most 64.
	Rules []Rule `json:"rules,omitempty"`
}

// Rule is one targeting rule. Every condition set must hold (AND); an
// unset condition holds for everyone. Within one list (platforms,
// regions, players) any entry matches (OR).
type Rule struct {
	// Platforms the caller's platform must be one of (exact, e.g. "ios",
	// "android", "pc", "vr", "web").
	Platforms []string `json:"platforms,omitempty"`
	// Regions the caller's region must be one of (exact, e.g. "eu").
	Regions []string `json:"regions,omitempty"`
	// MinAppVersion and MaxAppVersion bound the caller's app version,
	// both inclusive, compared as versions (1.10.0 > 1.9.0; a pre-release
	// 1.2.0-beta.1 < 1.2.0). A caller without a version never matches a
	// rule that sets either.
	MinAppVersion string `json:"min_app_version,omitempty"`
	MaxAppVersion string `json:"max_app_version,omitempty"`
	// Phase, when set, is how far the feature has been released: the
	// rule matches callers on that phase or an earlier one (Phase "beta"
	// reaches alpha and beta clients; "ga" reaches everyone). A caller
	// that sends no phase is on GA.
	Phase Phase `json:"phase,omitempty"`
	// Players is an allow-list of player ids.
	Players []string `json:"players,omitempty"`
	// Percent, when set, admits only that share (0 to 100, fractions
	// allowed) of the players otherwise matched, chosen by hashing the
	// player id with the flag key: deterministic per player, and raising
	// the percentage only adds players. A caller without a player id
	// never matches a rule with a percentage.
	Percent *float64 `json:"percent,omitempty"`
	// Value is what the rule serves, of the flag's type.
	Value json.RawMessage `json:"value"`
}

// Limits of a definition.
const (
	maxRules    = 64
	maxVariants = 32
	maxList     = 1000
)

var (
	keyPattern     = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	versionPattern = regexp.MustCompile(`^v?[0-9]+(\.[0-9]+){0,3}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
)

// ErrInvalid is wrapped by every validation error.
var ErrInvalid = errors.New("flags: invalid definition")

// ValidVersion reports whether v is an app version rules can compare
// (1.2, 1.2.3, v1.2.3-beta.1).
func ValidVersion(v string) bool { return versionPattern.MatchString(v) }

// Parse decodes one definition (a JSON object, no unknown fields, nothing
// after it) and validates it.
func Parse(data []byte) (Definition, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d Definition
	if err := dec.Decode(&d); err != nil {
		return Definition{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Definition{}, fmt.Errorf("%w: trailing data after the definition", ErrInvalid)
	}
	if err := d.Validate(); err != nil {
		return Definition{}, err
	}
	return d, nil
}

// Validate reports every problem of d in one error wrapping ErrInvalid,
// each naming its field (e.g. `flag "mode.raid": rules[1].percent: 120 is
// outside 0..100`).
func (d Definition) Validate() error {
	var errs []string
	bad := func(field, format string, args ...any) {
		errs = append(errs, field+": "+fmt.Sprintf(format, args...))
	}
	if !keyPattern.MatchString(d.Key) {
		bad("key", "%q must be 1-64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit", d.Key)
	}
	switch d.Type {
	case Boolean:
		if len(d.Variants) > 0 {
			bad("variants", "only a variant flag has variants")
		}
	case Variant:
		if len(d.Variants) == 0 || len(d.Variants) > maxVariants {
			bad("variants", "a variant flag needs 1 to %d variants, has %d", maxVariants, len(d.Variants))
		}
		for i, v := range d.Variants {
			if v == "" || slices.Index(d.Variants, v) != i {
				bad(fmt.Sprintf("variants[%d]", i), "%q is empty or repeated", v)
			}
		}
	default:
		bad("type", "%q must be %q or %q", d.Type, Boolean, Variant)
	}
	if d.Type == Boolean || d.Type == Variant {
		if err := d.checkValue(d.Default); err != nil {
			bad("default", "%v", err)
		}
	}
	if len(d.Rules) > maxRules {
		bad("rules", "at most %d rules, has %d", maxRules, len(d.Rules))
	}
	for i, r := range d.Rules {
		field := fmt.Sprintf("rules[%d]", i)
		for _, l := range []struct {
			name string
			list []string
		}{{"platforms", r.Platforms}, {"regions", r.Regions}, {"players", r.Players}} {
			name, list := l.name, l.list
			if len(list) > maxList {
				bad(field+"."+name, "at most %d entries, has %d", maxList, len(list))
			}
			if slices.Contains(list, "") {
				bad(field+"."+name, "has an empty entry")
			}
		}
		if r.MinAppVersion != "" && !ValidVersion(r.MinAppVersion) {
			bad(field+".min_app_version", "%q is not a version like 1.2.3", r.MinAppVersion)
		}
		if r.MaxAppVersion != "" && !ValidVersion(r.MaxAppVersion) {
			bad(field+".max_app_version", "%q is not a version like 1.2.3", r.MaxAppVersion)
		}
		if r.Phase != "" && r.Phase.Rank() == 0 {
			bad(field+".phase", "%q must be alpha, beta, rc or ga", r.Phase)
		}
		if r.Percent != nil && (*r.Percent < 0 || *r.Percent > 100 || *r.Percent != *r.Percent) {
			bad(field+".percent", "%v is outside 0..100", *r.Percent)
		}
		if d.Type == Boolean || d.Type == Variant {
			if err := d.checkValue(r.Value); err != nil {
				bad(field+".value", "%v", err)
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: flag %q: %s", ErrInvalid, d.Key, strings.Join(errs, "; "))
}

// checkValue reports whether raw is a value of d's type.
func (d Definition) checkValue(raw json.RawMessage) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return errors.New("missing")
	}
	switch d.Type {
	case Boolean:
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return fmt.Errorf("%s is not a boolean", raw)
		}
	case Variant:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || !slices.Contains(d.Variants, s) {
			return fmt.Errorf("%s is not one of the variants %q", raw, d.Variants)
		}
	}
	return nil
}
