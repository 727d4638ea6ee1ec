package storetest

import (
	"errors"
	"testing"

	"github.com/pantheon-oracles/pantheon/lobby/store"
)

// testFlags: put, replace, delete and the audit log (who, when, old, new).
func testFlags(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	old, err := s.PutFlag(ctx, "mode.raid", []byte(`{"v":1}`), "alice", t0)
	must(t, err)
	if old != nil {
		t.Fatalf("first put returned old %s", old)
	}
	old, err = s.PutFlag(ctx, "mode.raid", []byte(`{"v":2}`), "bob", t0.Add(1e9))
	must(t, err)
	if string(old) != `{"v":1}` {
		t.Fatalf("second put returned old %s", old)
	}
	all, err := s.AllFlags(ctx)
	must(t, err)
	if len(all) != 1 || string(all["mode.raid"]) != `{"v":2}` {
		t.Fatalf("AllFlags = %q", all)
	}
	if _, err := s.DeleteFlag(ctx, "nope", "bob", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete of a missing flag: %v", err)
	}
	old, err = s.DeleteFlag(ctx, "mode.raid", "carol", t0.Add(2e9))
	must(t, err)
	if string(old) != `{"v":2}` {
		t.Fatalf("delete returned old %s", old)
	}
	audit, err := s.FlagAudit(ctx, 10)
	must(t, err)
	if len(audit) != 3 {
		t.Fatalf("audit has %d entries: %+v", len(audit), audit)
	}
	del, upd, add := audit[0], audit[1], audit[2]
	if del.Actor != "carol" || string(del.Old) != `{"v":2}` || del.New != nil || !del.At.Equal(t0.Add(2e9)) {
		t.Errorf("delete entry %+v", del)
	}
	if upd.Actor != "bob" || string(upd.Old) != `{"v":1}` || string(upd.New) != `{"v":2}` {
		t.Errorf("update entry %+v", upd)
	}
	if add.Actor != "alice" || add.Old != nil || string(add.New) != `{"v":1}` || add.Key != "mode.raid" || !add.At.Equal(t0) {
		t.Errorf("create entry %+v", add)
	}
}
