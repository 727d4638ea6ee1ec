// Package storetest holds the fixtures the tests of persistence and its
// subpackages share: a bounded test context, a fresh embedded store,
// players, a canonical match record and ledger assertions. It is imported
// only by _test.go files; every helper fails the test (t.Fatal) instead of
// returning an error.
//
//	s := storetest.OpenSQLite(t)
//	a, b := storetest.MustPlayer(t, s, "a").ID, storetest.MustPlayer(t, s, "b").ID
//	if _, err := s.ApplyMatches(storetest.Ctx(t), []contract.MatchRecord{storetest.Battle("m1", a, b)}); err != nil {
//		t.Fatal(err)
//	}
//	storetest.MustBalance(t, s, a, "gold", 25)
//	storetest.CheckLedger(t, s, "gold", a, b, persistence.HouseAccount)
package storetest
