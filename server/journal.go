package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/pantheon-oracles/pantheon/contract"
)

// ErrJournal is returned by room creation when the room journal cannot be
// written: the server cannot promise to recover the room after a crash,
// so it does not accept it (the control API answers 503
// journal_unavailable).
var ErrJournal = errors.New("server: room journal unavailable")

// journalCompactBytes is how large the journal may grow before it is
// rewritten with only the rooms still open.
const journalCompactBytes = 1 << 20

// journal is the room server's durable list of accepted rooms: a room is
// journaled (written and fsynced) before the control API answers its
// creation, and marked ended once its result is durable in the sink. On
// start, every room journaled and not ended is a room the process lost in
// a crash: recovery records it as aborted. The file is a sequence of
// lines "crc32c-hex json"; a torn or damaged tail (a crash mid-write) is
// cut off. It is safe for concurrent use.
type journal struct {
	path string

	mu   sync.Mutex
	f    *os.File
	size int64
	open map[string]openRoom // by match id
	dead int64               // bytes of lines about rooms no longer open
}

// openRoom is a room the journal lists as open, with the size of its
// accept line.
type openRoom struct {
	spec contract.RoomSpec
	n    int64
}

// journalEntry is one line of the journal.
type journalEntry struct {
	Op    string             `json:"op"` // "accept" or "end"
	Match string             `json:"match"`
	Spec  *contract.RoomSpec `json:"spec,omitempty"` // accept only
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// openJournal reads the journal at path (creating it) and returns it with
// the rooms it lists as open, which the caller recovers and then ends.
func openJournal(path string) (*journal, []contract.RoomSpec, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrJournal, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrJournal, err)
	}
	j := &journal{path: path, f: f, open: map[string]openRoom{}}
	good, err := j.read(f)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	// Cut a torn tail so new lines follow a whole one.
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%w: truncate: %v", ErrJournal, err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%w: %v", ErrJournal, err)
	}
	j.size = good
	var open []contract.RoomSpec
	for _, o := range j.open {
		open = append(open, o.spec)
	}
	return j, open, nil
}

// read replays the file's whole lines into j.open and returns the offset
// after the last good line.
func (j *journal) read(r io.Reader) (int64, error) {
	br := bufio.NewReader(r)
	var good int64
	for {
		line, err := br.ReadBytes('\n')
		if err == io.EOF {
			return good, nil // a line without its newline is torn
		}
		if err != nil {
			return 0, fmt.Errorf("%w: read: %v", ErrJournal, err)
		}
		e, ok := decodeJournalLine(line)
		if !ok {
			return good, nil // damaged: everything from here is the torn tail
		}
		good += int64(len(line))
		j.apply(e, int64(len(line)))
	}
}

func decodeJournalLine(line []byte) (journalEntry, bool) {
	var e journalEntry
	sum, body, ok := bytes.Cut(bytes.TrimSuffix(line, []byte("\n")), []byte(" "))
	if !ok {
		return e, false
	}
	want, err := strconv.ParseUint(string(sum), 16, 32)
	if err != nil || crc32.Checksum(body, castagnoli) != uint32(want) {
		return e, false
	}
	if json.Unmarshal(body, &e) != nil || e.Match == "" {
		return e, false
	}
	return e, true
}

// apply updates the open set for e, a line of n bytes.
func (j *journal) apply(e journalEntry, n int64) {
	switch e.Op {
	case "accept":
		if e.Spec != nil {
			if old, ok := j.open[e.Match]; ok {
				j.dead += old.n // accepted again: the older line is dead
			}
			j.open[e.Match] = openRoom{spec: *e.Spec, n: n}
		}
	case "end":
		j.dead += n
		if o, ok := j.open[e.Match]; ok {
			delete(j.open, e.Match)
			j.dead += o.n
		}
	}
}

func encodeJournalLine(e journalEntry) []byte {
	body, _ := json.Marshal(e) // plain structs: cannot fail
	return fmt.Appendf(nil, "%08x %s\n", crc32.Checksum(body, castagnoli), body)
}

// accept journals spec durably (written and fsynced).
func (j *journal) accept(spec contract.RoomSpec) error {
	return j.write(journalEntry{Op: "accept", Match: spec.MatchID, Spec: &spec}, true)
}

// end marks matchID ended. It is not fsynced: a lost end line only makes
// recovery submit an aborted record for a match whose real result the
// sink already holds, which the sink ignores (results are idempotent by
// match id, the first one wins).
func (j *journal) end(matchID string) error {
	return j.write(journalEntry{Op: "end", Match: matchID}, false)
}

func (j *journal) write(e journalEntry, sync bool) error {
	line := encodeJournalLine(e)
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return fmt.Errorf("%w: closed", ErrJournal)
	}
	if _, err := j.f.Write(line); err != nil {
		return fmt.Errorf("%w: write: %v", ErrJournal, err)
	}
	if sync {
		if err := j.f.Sync(); err != nil {
			return fmt.Errorf("%w: fsync: %v", ErrJournal, err)
		}
	}
	j.size += int64(len(line))
	j.apply(e, int64(len(line)))
	if j.dead > journalCompactBytes && j.dead > j.size/2 {
		return j.compact()
	}
	return nil
}

// compact rewrites the journal with only the open rooms (a temporary file
// fsynced, then renamed over the journal and the directory fsynced). j.mu
// is held.
func (j *journal) compact() error {
	tmp := j.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("%w: compact: %v", ErrJournal, err)
	}
	var size int64
	for id, o := range j.open {
		line := encodeJournalLine(journalEntry{Op: "accept", Match: id, Spec: &o.spec})
		if _, err := f.Write(line); err != nil {
			f.Close()
			return fmt.Errorf("%w: compact: %v", ErrJournal, err)
		}
		o.n = int64(len(line))
		j.open[id] = o
		size += o.n
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("%w: compact: %v", ErrJournal, err)
	}
	if err := os.Rename(tmp, j.path); err != nil {
		f.Close()
		return fmt.Errorf("%w: compact: %v", ErrJournal, err)
	}
	if d, err := os.Open(filepath.Dir(j.path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	j.f.Close()
	j.f, j.size, j.dead = f, size, 0
	return nil
}

// openRooms is how many rooms the journal lists as open.
func (j *journal) openRooms() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.open)
}

// close closes the file; later writes fail with ErrJournal.
func (j *journal) close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}
