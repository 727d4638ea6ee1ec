package match

import "errors"

// Sentinel errors; compare with errors.Is.
var (
	// ErrUnknownMode: no queue has this mode id.
	ErrUnknownMode = errors.New("match: unknown mode")
	// ErrPartySize: the party is empty or larger than the mode allows.
	ErrPartySize = errors.New("match: party size not allowed in this mode")
	// ErrRole: an oracle's roster role cannot be queued.
	ErrRole = errors.New("match: oracle role cannot be queued")
	// ErrBadTicket: the ticket is malformed (wrong mode, repeated player).
	ErrBadTicket = errors.New("match: malformed ticket")
	// ErrModePolicy: a mode policy names a mode the content lacks, or one
	// the content's mode cannot run with (NewModes).
	ErrModePolicy = errors.New("match: bad mode policy")
)
