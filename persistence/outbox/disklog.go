package outbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/persistence"
)

// The outbox's on-disk log, in Config.Dir:
//
//	LOCK                  flock(2)ed while an Outbox has the directory open
//	<first seq, 16 hex>.seg  segments: frames appended in sequence order
//	ack                   the highest sequence number applied to the store
//	deadletter.seg        records the store refused for good
//	                      (persistence.ErrInvalid, ErrNotFound), kept for an operator
//
// A frame is: length uint32 | crc32c uint32 | seq uint64 | payload, where
// length counts seq+payload, crc32c (Castagnoli) covers seq+payload, all
// little-endian, and the payload is the msgpack encoding of a
// contract.MatchRecord. A frame is acknowledged to Submit only after the
// segment is fsynced, so a crash can only tear the tail of the last
// segment, which recovery truncates.

const (
	frameHeader   = 16 // length, crc, seq
	maxFramePayld = 64 << 20
	ackFile       = "ack"
	lockFile      = "LOCK"
	deadFile      = "deadletter.seg"
	segSuffix     = ".seg"
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// errCorrupt marks a damaged frame in the middle of the log.
var errCorrupt = errors.New("outbox: log corrupt")

// encodeFrame returns the frame of rec under seq.
func encodeFrame(seq uint64, rec *contract.MatchRecord) ([]byte, error) {
	payload, err := msgpack.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encode match %s: %w", rec.MatchID, err)
	}
	if len(payload) > maxFramePayld {
		return nil, fmt.Errorf("%w: match %s encodes to %d bytes, over %d", persistence.ErrInvalid, rec.MatchID, len(payload), maxFramePayld)
	}
	buf := make([]byte, frameHeader+len(payload))
	binary.LittleEndian.PutUint32(buf[0:], uint32(8+len(payload)))
	binary.LittleEndian.PutUint64(buf[8:], seq)
	copy(buf[frameHeader:], payload)
	binary.LittleEndian.PutUint32(buf[4:], crc32.Checksum(buf[8:], crcTable))
	return buf, nil
}

// logEntry is one record read back from a segment.
type logEntry struct {
	seq  uint64
	rec  contract.MatchRecord
	size int64 // frame bytes
}

// readSegment decodes every whole frame of a segment file. good is the
// offset after the last good frame; torn reports trailing bytes that are
// not a whole valid frame (a torn write, or damage).
func readSegment(path string) (entries []logEntry, good int64, torn bool, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, false, err
	}
	off := 0
	for off < len(data) {
		if len(data)-off < frameHeader {
			return entries, int64(off), true, nil
		}
		n := int(binary.LittleEndian.Uint32(data[off:]))
		if n < 8 || n > maxFramePayld+8 || len(data)-off-8 < n {
			return entries, int64(off), true, nil
		}
		body := data[off+8 : off+8+n]
		if crc32.Checksum(body, crcTable) != binary.LittleEndian.Uint32(data[off+4:]) {
			return entries, int64(off), true, nil
		}
		var rec contract.MatchRecord
		if err := msgpack.Unmarshal(body[8:], &rec); err != nil {
			return entries, int64(off), true, nil
		}
		normaliseTimes(&rec)
		entries = append(entries, logEntry{seq: binary.LittleEndian.Uint64(body), rec: rec, size: int64(8 + n)})
		off += 8 + n
	}
	return entries, int64(off), false, nil
}

// normaliseTimes puts decoded times in UTC (msgpack decodes to local time).
func normaliseTimes(r *contract.MatchRecord) {
	if !r.StartedAt.IsZero() {
		r.StartedAt = r.StartedAt.UTC()
	}
	if !r.EndedAt.IsZero() {
		r.EndedAt = r.EndedAt.UTC()
	}
}

// segmentName is the file name of the segment starting at seq.
func segmentName(seq uint64) string { return fmt.Sprintf("%016x%s", seq, segSuffix) }

// listSegments returns the first sequence numbers of the segments in dir,
// ascending.
func listSegments(dir string) ([]uint64, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []uint64
	for _, de := range des {
		name, ok := strings.CutSuffix(de.Name(), segSuffix)
		if !ok || de.Name() == deadFile {
			continue
		}
		seq, err := strconv.ParseUint(name, 16, 64)
		if err != nil {
			continue
		}
		out = append(out, seq)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// readAck returns the acknowledged sequence number (0 when none).
func readAck(dir string) (uint64, error) {
	b, err := os.ReadFile(filepath.Join(dir, ackFile))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(b) != 12 || crc32.Checksum(b[:8], crcTable) != binary.LittleEndian.Uint32(b[8:]) {
		return 0, fmt.Errorf("%w: ack file damaged", errCorrupt)
	}
	return binary.LittleEndian.Uint64(b), nil
}

// writeAck durably replaces the ack file: write a temporary file, fsync it,
// rename it over the old one, fsync the directory.
func writeAck(dir string, seq uint64) error {
	var b [12]byte
	binary.LittleEndian.PutUint64(b[:], seq)
	binary.LittleEndian.PutUint32(b[8:], crc32.Checksum(b[:8], crcTable))
	tmp := filepath.Join(dir, ackFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b[:]); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, ackFile)); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir fsyncs a directory so created, renamed and removed names are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// lockDir takes an exclusive, non-blocking lock (tryLock: flock or
// LockFileEx) on dir/LOCK; the returned file holds it until closed (or the
// process dies).
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := tryLock(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("outbox directory %s is in use by another process: %w", dir, err)
	}
	return f, nil
}

// appendFile opens path for appending, creating it (and fsyncing the
// directory entry) when new.
func appendFile(dir, name string) (*os.File, int64, error) {
	path := filepath.Join(dir, name)
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, 0, err
	}
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if errors.Is(statErr, os.ErrNotExist) {
		if err := syncDir(dir); err != nil {
			f.Close()
			return nil, 0, err
		}
	}
	return f, size, nil
}
