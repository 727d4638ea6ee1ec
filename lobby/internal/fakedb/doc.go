// Package fakedb is an in-memory implementation of the persistence
// interfaces the lobby uses (Accounts, RefreshTokens, Rosters, Ratings and,
// knowing only the ratings set with SetRating, History), with
// their documented semantics, for the lobby's tests and benchmarks. It can
// also be switched to answer persistence.ErrUnavailable.
//
//	db := fakedb.New()
//	p, created, _ := db.LoginIdentity(ctx, "device", "dev-123", "")
package fakedb
