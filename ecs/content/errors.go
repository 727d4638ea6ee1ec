package content

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid: the content files are missing, malformed or inconsistent.
// Parse returns it as an *Error listing every problem; callers compare with
// errors.Is.
var ErrInvalid = errors.New("content: invalid content")

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

// Error lists every problem Parse found. It wraps ErrInvalid.
type Error struct {
	Problems []Problem
}

// Error lists the problems, one per line after the first.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problem(s)", ErrInvalid, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *Error) Unwrap() error { return ErrInvalid }
