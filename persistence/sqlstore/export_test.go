package sqlstore

import "github.com/pantheon-oracles/pantheon/persistence"

// PostgresReruns returns how many write transactions the Postgres store s
// ran again, by cause: deadlocks, serialization failures and errRelock
// (rows it had to create were created concurrently). Tests use it to show
// that the lock order leaves no deadlock.
func PostgresReruns(s persistence.Store) (deadlock, serialization, relock int64) {
	b := s.(*sqlStore).b.(*pgBackend)
	return b.reruns.deadlock.Load(), b.reruns.serialization.Load(), b.reruns.relock.Load()
}
