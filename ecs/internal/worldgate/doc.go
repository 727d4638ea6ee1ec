// Package worldgate creates donburi worlds one at a time.
//
// donburi v1.15.7's NewWorld increments a package-level world counter
// (donburi.nextWorldId) without a lock, so two rooms creating their worlds on
// two goroutines race, and two worlds can end up with the same WorldId. A
// donburi.Query caches its per-world archetype matches in a map keyed by
// WorldId, so equal ids would also make two rooms share query caches. This
// package serialises world creation behind one mutex; everything else about
// a world (its queries, its entities) stays owned by the one Sim that made it.
//
// It is the only package under ecs/ allowed to import sync (the purity
// analyzer in tools/purity allows it by path), and it imports nothing but
// sync and donburi.
//
// Usage:
//
//	w := worldgate.NewWorld()
//	q := donburi.NewQuery(filter.Contains(someComponent)) // one query per world
package worldgate
