package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/netcode"
	"github.com/pantheon-oracles/pantheon/netcode/transport"
)

// gateSink holds every Submit until open is called, then stores the
// record in mem. entered is closed by the first Submit.
type gateSink struct {
	mem     *MemorySink
	gate    chan struct{}
	entered chan struct{}
	once    sync.Once
	open    func()
}

func newGateSink() *gateSink {
	g := &gateSink{mem: NewMemorySink(), gate: make(chan struct{}), entered: make(chan struct{})}
	var o sync.Once
	g.open = func() { o.Do(func() { close(g.gate) }) }
	return g
}

func (g *gateSink) Submit(ctx context.Context, rec contract.MatchRecord) error {
	g.once.Do(func() { close(g.entered) })
	select {
	case <-g.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	return g.mem.Submit(ctx, rec)
}

// events returns how many events frames rc has read.
func (rc *rawClient) eventsRead() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.events
}

// TestMatchEndWaitsForDurableResult: the final tick's events and the bye
// reach the clients only after the sink's Submit has returned nil.
func TestMatchEndWaitsForDurableResult(t *testing.T) {
	sink := newGateSink()
	h := startHarnessSink(t, testConfig(), scriptFactory(30, 20), transport.LinkConfig{}, sink, sink.mem)
	t.Cleanup(sink.open) // runs before the harness's shutdown
	resp := h.create(battleSpec("m_hold"))
	clients := joinAll(t, h, resp, "mem")
	select {
	case <-sink.entered:
	case <-time.After(15 * time.Second):
		t.Fatal("the ended room's result never reached the sink")
	}
	r, ok := h.srv.reg.get(resp.RoomID)
	if !ok || r.loadState() != StateEnded {
		t.Fatalf("room while its result is unconfirmed: found=%v, want state %q held in the registry", ok, StateEnded)
	}
	// The sink has the record but has not confirmed it: nothing of the end
	// may have been sent. Events before the last tick (tick 10) may have.
	for i, rc := range clients {
		_, _, _, _, e, bye := rc.state()
		if bye || e != nil || rc.eventsRead() > 1 {
			t.Fatalf("client %d heard the end before the result was durable: bye=%v err=%v events=%d (want <= 1)", i, bye, e, rc.eventsRead())
		}
	}
	sink.open()
	for i, rc := range clients {
		if e := rc.waitClosed(t); e != nil {
			t.Fatalf("client %d: got error %v, want a bye", i, e)
		}
		if n := rc.eventsRead(); n != 2 {
			t.Fatalf("client %d read %d events frames, want 2 (ticks 10 and 20, the final one held until durable)", i, n)
		}
	}
	if got := h.srv.metricValue("pantheon_room_result_pending_total", ""); got != 0 {
		t.Fatalf("result_pending_total = %v, want 0", got)
	}
	waitFor(t, "room to leave the registry", func() bool { _, ok := h.srv.reg.get(resp.RoomID); return !ok })
}

// TestResultPendingAfterResultWait: a sink that does not confirm within
// Config.ResultWait gets the clients result_pending, never a bye; the
// result still lands once the sink answers.
func TestResultPendingAfterResultWait(t *testing.T) {
	sink := newGateSink()
	cfg := testConfig()
	cfg.ResultWait = 150 * time.Millisecond
	h := startHarnessSink(t, cfg, scriptFactory(30, 20), transport.LinkConfig{}, sink, sink.mem)
	t.Cleanup(sink.open)
	resp := h.create(battleSpec("m_pending"))
	clients := joinAll(t, h, resp, "mem")
	for i, rc := range clients {
		e := rc.waitClosed(t)
		if e == nil || e.Code != netcode.CodeResultPending {
			t.Fatalf("client %d: closed with %v, want %s", i, e, netcode.CodeResultPending)
		}
		if _, _, _, _, _, bye := rc.state(); bye {
			t.Fatalf("client %d got a bye with an unconfirmed result", i)
		}
		if n := rc.eventsRead(); n != 1 {
			t.Fatalf("client %d read %d events frames, want 1 (the final tick's are never sent unconfirmed)", i, n)
		}
	}
	if got := h.srv.metricValue("pantheon_room_result_pending_total", ""); got != 1 {
		t.Fatalf("result_pending_total = %v, want 1", got)
	}
	sink.open()
	ctx, cancel := testContext()
	defer cancel()
	if _, err := sink.mem.Wait(ctx, "m_pending"); err != nil {
		t.Fatalf("result after the sink answered: %v", err)
	}
}

// TestJournalRecoversOpenRooms: rooms journaled by a server that never
// ended them (a crash) are recorded as aborted by the next server on the
// same journal, before it takes rooms, and reported to the lobby feed; a
// room whose result the sink already holds is reported with that result.
func TestJournalRecoversOpenRooms(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rooms.journal")
	j, open, err := openJournal(path)
	if err != nil || len(open) != 0 {
		t.Fatalf("new journal: %v, %d open", err, len(open))
	}
	a, b, c := battleSpec("m_a"), battleSpec("m_b"), battleSpec("m_c")
	a.Seats[0].TicketID, a.Seats[1].TicketID = "t_1", "t_2"
	for _, s := range []contract.RoomSpec{a, b, c} {
		if err := j.accept(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.end("m_c"); err != nil { // ended normally before the crash
		t.Fatal(err)
	}
	j.close()

	sink := &lookupSink{MemorySink: NewMemorySink(), held: map[string]contract.Outcome{"m_b": contract.OutcomeTeamWin}}
	cfg := testConfig()
	cfg.Journal = path
	cfg.LobbyURLs = []string{"http://127.0.0.1:1"} // the feed is kept only with a lobby to tell
	s, err := newServer(cfg, scriptFactory(30, 0), "v-test", testModes, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	recs := sink.Records()
	if len(recs) != 1 || recs[0].MatchID != "m_a" || recs[0].Outcome != contract.OutcomeAborted || len(recs[0].Participants) != 2 {
		t.Fatalf("recovered records %+v, want one aborted record for m_a (m_b's result is held, m_c ended)", recs)
	}
	for _, p := range recs[0].Participants {
		if p.Result != contract.ResultAbandoned {
			t.Fatalf("recovered participant %+v, want abandoned", p)
		}
	}
	feed := s.ended.peek(10)
	got := map[string]contract.EndedMatch{}
	for _, m := range feed {
		got[m.MatchID] = m
	}
	if len(feed) != 2 || got["m_a"].Outcome != contract.OutcomeAborted || got["m_a"].Reason != "room_server_restarted" ||
		!slices.Equal(got["m_a"].Tickets, []string{"t_1", "t_2"}) || got["m_b"].Outcome != contract.OutcomeTeamWin {
		t.Fatalf("ended feed %+v", feed)
	}
	if v := s.metricValue("pantheon_room_journal_recovered_total", contract.OutcomeAborted.String()); v != 1 {
		t.Fatalf("journal_recovered_total{aborted} = %v, want 1", v)
	}
	if n := s.journal.openRooms(); n != 0 {
		t.Fatalf("%d rooms still open in the journal after recovery", n)
	}
}

// lookupSink is a MemorySink that also claims to hold the results in held.
type lookupSink struct {
	*MemorySink
	held map[string]contract.Outcome
}

func (l *lookupSink) Outcome(_ context.Context, matchID string) (contract.Outcome, bool, error) {
	o, ok := l.held[matchID]
	return o, ok, nil
}

// TestJournalTornTailAndCompaction: a torn last line (a crash mid-write)
// is cut off and the lines before it kept; a journal of mostly ended rooms
// is rewritten with only the open ones.
func TestJournalTornTailAndCompaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rooms.journal")
	j, _, err := openJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.accept(battleSpec("m_keep")); err != nil {
		t.Fatal(err)
	}
	j.close()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(encodeJournalLine(journalEntry{Op: "accept", Match: "m_torn", Spec: &contract.RoomSpec{MatchID: "m_torn"}})[:20])
	f.Close()
	j, open, err := openJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 1 || open[0].MatchID != "m_keep" {
		t.Fatalf("open after a torn tail: %+v, want m_keep only", open)
	}
	// Enough accepted-and-ended rooms to pass the compaction threshold.
	for i := 0; j.size < 3*journalCompactBytes/2 || i < 10; i++ {
		id := fmt.Sprintf("m_%06d", i)
		sp := battleSpec(id)
		if err := j.accept(sp); err != nil {
			t.Fatal(err)
		}
		if err := j.end(id); err != nil {
			t.Fatal(err)
		}
		if i > 100_000 {
			t.Fatal("the journal never compacted")
		}
		if j.dead == 0 && i > 0 {
			break // compacted
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > journalCompactBytes {
		t.Fatalf("journal is %d bytes after compaction, want it rewritten with only the open room", st.Size())
	}
	j.close()
	_, open, err = openJournal(path)
	if err != nil || len(open) != 1 || open[0].MatchID != "m_keep" {
		t.Fatalf("after compaction and reopen: %v, open %+v, want m_keep only", err, open)
	}
}
