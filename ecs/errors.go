package ecs

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Callers compare with errors.Is; the returned errors wrap
// them with the detail (which field, which seat, which byte).
var (
	// ErrInvalidContent: the content files are missing, malformed or
	// inconsistent. The error is a *ContentError listing every problem.
	ErrInvalidContent = errors.New("ecs: invalid content")
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

// Problem is one defect in the content files.
type Problem struct {
	File    string // content file name, e.g. "abilities.json"
	Field   string // path of the field, e.g. "abilities[ember_strike].cooldown_ms"; "" for the whole file
	Message string
}

// String renders the problem as "file: field: message".
func (p Problem) String() string {
	if p.Field == "" {
		return p.File + ": " + p.Message
	}
	return p.File + ": " + p.Field + ": " + p.Message
}

// ContentError lists every problem ParseContent found. It wraps
// ErrInvalidContent.
type ContentError struct {
	Problems []Problem
}

// Error lists the problems, one per line after the first.
func (e *ContentError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problem(s)", ErrInvalidContent, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalidContent) hold.
func (e *ContentError) Unwrap() error { return ErrInvalidContent }
