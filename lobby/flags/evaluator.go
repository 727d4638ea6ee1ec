package flags

import (
	"context"
	"fmt"

	"github.com/open-feature/go-sdk/openfeature"
	"github.com/open-feature/go-sdk/openfeature/isolated"
)

// Context is who flags are evaluated for.
type Context struct {
	// PlayerID is the OpenFeature targeting key: allow-lists and
	// percentage rollouts use it.
	PlayerID   string
	Platform   string
	Region     string
	AppVersion string
	// Phase is the caller's release phase; "" is GA.
	Phase Phase
}

// evaluationContext is c as an OpenFeature evaluation context.
func (c Context) evaluationContext() openfeature.EvaluationContext {
	return openfeature.NewEvaluationContext(c.PlayerID, map[string]any{
		CtxPlatform: c.Platform, CtxRegion: c.Region, CtxAppVersion: c.AppVersion, CtxPhase: string(c.Phase),
	})
}

// Evaluator is the evaluation interface callers use: an isolated
// OpenFeature API (never the global singleton) bound to a Provider.
type Evaluator struct {
	api      *openfeature.EvaluationAPI
	client   *openfeature.Client
	provider *Provider
}

// NewEvaluator returns an evaluator with no flags defined.
func NewEvaluator(ctx context.Context) (*Evaluator, error) {
	e := &Evaluator{api: isolated.NewAPI(), provider: NewProvider()}
	if err := e.api.SetProviderAndWait(ctx, e.provider); err != nil {
		return nil, fmt.Errorf("flags: openfeature provider: %w", err)
	}
	e.client = e.api.NewClient()
	return e, nil
}

// Load replaces every definition (see Provider.Load).
func (e *Evaluator) Load(defs []Definition) error { return e.provider.Load(defs) }

// Definitions returns the loaded definitions, sorted by key.
func (e *Evaluator) Definitions() []Definition { return e.provider.Definitions() }

// Bool evaluates Boolean flag key for c; def when it is not defined (or is
// not Boolean).
func (e *Evaluator) Bool(ctx context.Context, key string, c Context, def bool) bool {
	return e.client.Boolean(ctx, key, def, c.evaluationContext())
}

// String evaluates Variant flag key for c; def when it is not defined (or
// is not a Variant flag).
func (e *Evaluator) String(ctx context.Context, key string, c Context, def string) string {
	return e.client.String(ctx, key, def, c.evaluationContext())
}

// Evaluate returns every defined flag's value for c: a bool for Boolean
// flags, a string for Variant flags.
func (e *Evaluator) Evaluate(ctx context.Context, c Context) map[string]any {
	out := map[string]any{}
	for _, d := range e.Definitions() {
		switch d.Type {
		case Boolean:
			out[d.Key] = e.Bool(ctx, d.Key, c, false)
		case Variant:
			out[d.Key] = e.String(ctx, d.Key, c, "")
		}
	}
	return out
}

// Close shuts the OpenFeature API down.
func (e *Evaluator) Close(ctx context.Context) error { return e.api.Shutdown(ctx) }
