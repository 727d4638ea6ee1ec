package flags

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sync/atomic"

	"github.com/growthbook/growthbook-golang"
	"github.com/open-feature/go-sdk/openfeature"
)

// ProviderName is the provider's OpenFeature metadata name.
const ProviderName = "pantheon-growthbook"

// Evaluation context attribute names (besides the targeting key, which is
// the player id) that the provider reads.
const (
	CtxPlatform   = "platform"
	CtxRegion     = "region"
	CtxAppVersion = "app_version"
	CtxPhase      = "phase"
)

// Provider is an OpenFeature provider whose rules GrowthBook evaluates:
// Load translates definitions into GrowthBook features, and each
// evaluation turns the OpenFeature evaluation context into GrowthBook
// attributes. It is safe for concurrent use; Load swaps an immutable
// snapshot, so an evaluation sees one whole set of definitions.
type Provider struct {
	snap atomic.Pointer[snapshot]
	log  *slog.Logger
}

// snapshot is one loaded set of definitions and the GrowthBook client
// holding them.
type snapshot struct {
	defs map[string]Definition
	gb   *growthbook.Client
}

var (
	_ openfeature.FeatureProvider = (*Provider)(nil)
)

// NewProvider returns a provider with no flags defined.
func NewProvider() *Provider {
	p := &Provider{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := p.Load(nil); err != nil {
		panic(err) // no definitions cannot fail to translate
	}
	return p
}

// Load replaces every definition with defs, which must each pass Validate
// and have distinct keys; on error the previous set stays.
func (p *Provider) Load(defs []Definition) error {
	m := make(map[string]Definition, len(defs))
	for _, d := range defs {
		if err := d.Validate(); err != nil {
			return err
		}
		if _, dup := m[d.Key]; dup {
			return fmt.Errorf("%w: flag %q defined twice", ErrInvalid, d.Key)
		}
		m[d.Key] = d
	}
	features, err := growthBookFeatures(defs)
	if err != nil {
		return err
	}
	gb, err := growthbook.NewClient(context.Background(), growthbook.WithLogger(p.log), growthbook.WithJsonFeatures(string(features)))
	if err != nil {
		return fmt.Errorf("flags: growthbook client: %w", err)
	}
	p.snap.Store(&snapshot{defs: m, gb: gb})
	return nil
}

// Definitions returns the loaded definitions, sorted by key.
func (p *Provider) Definitions() []Definition {
	s := p.snap.Load()
	keys := slices.Sorted(maps.Keys(s.defs))
	out := make([]Definition, len(keys))
	for i, k := range keys {
		out[i] = s.defs[k]
	}
	return out
}

// Metadata implements openfeature.FeatureProvider.
func (p *Provider) Metadata() openfeature.Metadata { return openfeature.Metadata{Name: ProviderName} }

// Hooks implements openfeature.FeatureProvider (none).
func (p *Provider) Hooks() []openfeature.Hook { return nil }

// attributes maps an OpenFeature evaluation context to GrowthBook
// attributes. Only string values are used; a missing or unknown phase is
// GA; an app version that is not a version is left out (so version rules
// do not match it).
func attributes(flat openfeature.FlattenedContext) growthbook.Attributes {
	str := func(k string) string { s, _ := flat[k].(string); return s }
	attrs := growthbook.Attributes{attrPhaseRank: GA.Rank()}
	if id := str(openfeature.TargetingKey); id != "" {
		attrs[attrID] = id
	}
	if v := str(CtxPlatform); v != "" {
		attrs[attrPlatform] = v
	}
	if v := str(CtxRegion); v != "" {
		attrs[attrRegion] = v
	}
	if v := str(CtxAppVersion); ValidVersion(v) {
		attrs[attrAppVersion] = v
	}
	if ph, err := ParsePhase(str(CtxPhase)); err == nil {
		attrs[attrPhaseRank] = ph.Rank()
	}
	return attrs
}

// resolve evaluates flag for flat with GrowthBook, checking it is defined
// with type want. It returns the GrowthBook value and the resolution
// details, or a resolution error.
func (p *Provider) resolve(ctx context.Context, flag string, want Type, flat openfeature.FlattenedContext) (any, openfeature.ProviderResolutionDetail) {
	s := p.snap.Load()
	d, ok := s.defs[flag]
	if !ok {
		return nil, openfeature.ProviderResolutionDetail{ResolutionError: openfeature.NewFlagNotFoundResolutionError("no flag " + flag), Reason: openfeature.ErrorReason}
	}
	if d.Type != want {
		return nil, openfeature.ProviderResolutionDetail{ResolutionError: openfeature.NewTypeMismatchResolutionError(fmt.Sprintf("flag %s is %s, not %s", flag, d.Type, want)), Reason: openfeature.ErrorReason}
	}
	gb, err := s.gb.WithAttributes(attributes(flat))
	if err != nil {
		return nil, openfeature.ProviderResolutionDetail{ResolutionError: openfeature.NewGeneralResolutionError(err.Error()), Reason: openfeature.ErrorReason}
	}
	res := gb.EvalFeature(ctx, flag)
	det := openfeature.ProviderResolutionDetail{Reason: openfeature.DefaultReason}
	if res.Source == growthbook.ForceResultSource {
		det.Reason = openfeature.TargetingMatchReason
		det.FlagMetadata = openfeature.FlagMetadata{"rule": res.RuleId}
		for i := range d.Rules {
			if ruleID(i) == res.RuleId && d.Rules[i].Percent != nil {
				det.Reason = openfeature.SplitReason
			}
		}
	}
	return res.Value, det
}

// BooleanEvaluation implements openfeature.FeatureProvider for Boolean flags.
func (p *Provider) BooleanEvaluation(ctx context.Context, flag string, defaultValue bool, flat openfeature.FlattenedContext) openfeature.BoolResolutionDetail {
	v, det := p.resolve(ctx, flag, Boolean, flat)
	if det.Error() != nil {
		return openfeature.BoolResolutionDetail{Value: defaultValue, ProviderResolutionDetail: det}
	}
	b, ok := v.(bool)
	if !ok {
		return openfeature.BoolResolutionDetail{Value: defaultValue, ProviderResolutionDetail: openfeature.ProviderResolutionDetail{
			ResolutionError: openfeature.NewTypeMismatchResolutionError(fmt.Sprintf("flag %s evaluated to %v", flag, v)), Reason: openfeature.ErrorReason}}
	}
	det.Variant = "off"
	if b {
		det.Variant = "on"
	}
	return openfeature.BoolResolutionDetail{Value: b, ProviderResolutionDetail: det}
}

// StringEvaluation implements openfeature.FeatureProvider for Variant flags.
func (p *Provider) StringEvaluation(ctx context.Context, flag string, defaultValue string, flat openfeature.FlattenedContext) openfeature.StringResolutionDetail {
	v, det := p.resolve(ctx, flag, Variant, flat)
	if det.Error() != nil {
		return openfeature.StringResolutionDetail{Value: defaultValue, ProviderResolutionDetail: det}
	}
	s, ok := v.(string)
	if !ok {
		return openfeature.StringResolutionDetail{Value: defaultValue, ProviderResolutionDetail: openfeature.ProviderResolutionDetail{
			ResolutionError: openfeature.NewTypeMismatchResolutionError(fmt.Sprintf("flag %s evaluated to %v", flag, v)), Reason: openfeature.ErrorReason}}
	}
	det.Variant = s
	return openfeature.StringResolutionDetail{Value: s, ProviderResolutionDetail: det}
}

// typeMismatch answers the value types no definition has.
func typeMismatch(flag string) openfeature.ProviderResolutionDetail {
	return openfeature.ProviderResolutionDetail{ResolutionError: openfeature.NewTypeMismatchResolutionError("flags are boolean or variant (string): " + flag), Reason: openfeature.ErrorReason}
}

// FloatEvaluation implements openfeature.FeatureProvider: always a type mismatch.
func (p *Provider) FloatEvaluation(_ context.Context, flag string, defaultValue float64, _ openfeature.FlattenedContext) openfeature.FloatResolutionDetail {
	return openfeature.FloatResolutionDetail{Value: defaultValue, ProviderResolutionDetail: typeMismatch(flag)}
}

// IntEvaluation implements openfeature.FeatureProvider: always a type mismatch.
func (p *Provider) IntEvaluation(_ context.Context, flag string, defaultValue int64, _ openfeature.FlattenedContext) openfeature.IntResolutionDetail {
	return openfeature.IntResolutionDetail{Value: defaultValue, ProviderResolutionDetail: typeMismatch(flag)}
}

// ObjectEvaluation implements openfeature.FeatureProvider: always a type mismatch.
func (p *Provider) ObjectEvaluation(_ context.Context, flag string, defaultValue any, _ openfeature.FlattenedContext) openfeature.InterfaceResolutionDetail {
	return openfeature.InterfaceResolutionDetail{Value: defaultValue, ProviderResolutionDetail: typeMismatch(flag)}
}
