package replayverify

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/content"
)

// Report is the outcome of verifying one replay.
type Report struct {
	Name       string          // the file (or label) verified
	Replay     *ecs.Replay     // the decoded replay, nil if it did not decode
	Divergence *ecs.Divergence // the first divergent tick, nil when all match
	Err        error           // unreadable, malformed, other content, bad config
}

// OK reports whether the replay re-simulated to every recorded hash.
func (r Report) OK() bool { return r.Err == nil && r.Divergence == nil && r.Replay != nil }

// VerifyFile reads and verifies one replay file.
func VerifyFile(c *content.Bundle, path string) Report {
	f, err := os.Open(path)
	if err != nil {
		return Report{Name: path, Err: fmt.Errorf("replay %s: %w", path, err)}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, ecs.MaxReplayBytes+1))
	if err != nil {
		return Report{Name: path, Err: fmt.Errorf("replay %s: read: %w", path, err)}
	}
	return Verify(c, path, data)
}

// Verify decodes and verifies replay bytes; name labels the report.
func Verify(c *content.Bundle, name string, data []byte) Report {
	r := Report{Name: name}
	rp, err := ecs.DecodeReplay(data)
	if err != nil {
		r.Err = fmt.Errorf("replay %s: %w", name, err)
		return r
	}
	r.Replay = rp
	div, err := ecs.VerifyReplay(c, rp)
	if err != nil {
		r.Err = fmt.Errorf("replay %s: %w", name, err)
		if errors.Is(err, ecs.ErrContentMismatch) {
			r.Err = fmt.Errorf("%w (verify it with the pantheon build that recorded it)", r.Err)
		}
		return r
	}
	r.Divergence = div
	return r
}

// Write prints one line: "ok" with what was verified, or the divergent tick
// and its reason, or the error.
func (r Report) Write(w io.Writer) {
	switch {
	case r.Err != nil:
		fmt.Fprintf(w, "%s: error: %v\n", r.Name, r.Err)
	case r.Divergence != nil:
		fmt.Fprintf(w, "%s: MISMATCH at tick %d of %d: %s\n", r.Name, r.Divergence.Tick, len(r.Replay.Ticks), r.Divergence.Reason)
	default:
		rp := r.Replay
		fmt.Fprintf(w, "%s: ok: %s in %s, seed %d, %d seats, %d ticks re-simulated, every state hash matches (content %s)\n",
			r.Name, rp.Mode, rp.Arena, rp.Seed, len(rp.Seats), len(rp.Ticks), rp.ContentVersion)
	}
}
