package bench

import (
	"errors"
	"io"
)

// WriteHTML writes the self-contained HTML report (not yet built).
func (r Report) WriteHTML(w io.Writer) error { return errors.New("bench: html report not built yet") }
