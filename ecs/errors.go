package ecs

import "errors"

// Sentinel errors. Callers compare with errors.Is; the returned errors wrap
// them with the detail (which field, which seat, which byte).
var (
	// ErrInvalidOracle: an OracleSpec names unknown or disallowed content.
	ErrInvalidOracle = errors.New("ecs: invalid oracle")
	// ErrInvalidConfig: a Config does not describe a playable match (unknown
	// mode or arena, wrong seat count or teams, bad oracle).
	ErrInvalidConfig = errors.New("ecs: invalid match config")
	// ErrBadReplay: replay bytes are malformed, truncated, oversized or of an
	// unknown format version.
	ErrBadReplay = errors.New("ecs: bad replay")
	// ErrContentMismatch: a replay was recorded with another content version.
	ErrContentMismatch = errors.New("ecs: replay content version differs")
)
