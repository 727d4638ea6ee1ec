package outbox

import (
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Config configures a durable outbox.
type Config struct {
	// Dir holds the outbox's segment files; created when missing. One
	// process at a time may use it (an flock on Dir/LOCK). Required.
	Dir string
	// MaxRecords bounds the records waiting to be flushed; Submit refuses
	// with ErrFull beyond it. Default 100,000.
	MaxRecords int
	// MaxBytes bounds the encoded bytes waiting to be flushed. Default 256 MiB.
	MaxBytes int64
	// SegmentBytes is the size at which a new segment file is started; whole
	// segments are deleted once flushed. Default 8 MiB.
	SegmentBytes int64
	// BatchRecords is how many records one ApplyMatches call takes at most.
	// Default 500.
	BatchRecords int
	// MinBackoff and MaxBackoff bound the jittered exponential wait after a
	// failed flush. Defaults 100ms and 30s.
	MinBackoff, MaxBackoff time.Duration
	// NearFull is the fill ratio (of records or bytes) at which a warning is
	// logged, once per crossing. Default 0.8.
	NearFull float64
	// Registerer receives the outbox's metrics (pantheon_outbox_*). nil
	// registers nothing.
	Registerer prometheus.Registerer
	// Logger receives warnings and errors. Default slog.Default().
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.MaxRecords == 0 {
		c.MaxRecords = 100_000
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = 256 << 20
	}
	if c.SegmentBytes == 0 {
		c.SegmentBytes = 8 << 20
	}
	if c.BatchRecords == 0 {
		c.BatchRecords = 500
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = 100 * time.Millisecond
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 30 * time.Second
	}
	if c.NearFull == 0 {
		c.NearFull = 0.8
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate reports a malformed configuration; zero fields take defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Dir == "":
		return errors.New("outbox: config: Dir is required")
	case c.MaxRecords < 1 || c.MaxBytes < 1 || c.SegmentBytes < 1 || c.BatchRecords < 1:
		return errors.New("outbox: config: MaxRecords, MaxBytes, SegmentBytes and BatchRecords must be positive")
	case c.MinBackoff < 0 || c.MaxBackoff < c.MinBackoff:
		return errors.New("outbox: config: need 0 <= MinBackoff <= MaxBackoff")
	case !(c.NearFull > 0 && c.NearFull <= 1):
		return errors.New("outbox: config: NearFull must be in (0, 1]")
	}
	return nil
}
