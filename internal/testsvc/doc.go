// Package testsvc gives tests the addresses of the external services they
// need (PostgreSQL, Redis) and decides what happens when one is not
// configured.
//
// A test that needs PostgreSQL calls
//
//	url := testsvc.Postgres(t)
//
// which returns PANTHEON_TEST_POSTGRES. When that variable is empty the test
// is skipped with a message saying how to run it, unless
// PANTHEON_REQUIRE_SERVICES=1 is set (as .ci/run does), in which case the
// test fails: a test that silently skips in CI is a broken test.
//
// A test that must stop, kill or restart the database gets a private
// cluster of its own instead (the shared server is never touched):
//
//	pg := testsvc.StartPGCluster(t) // initdb + start on a free port; removed at cleanup
//	sqlstore.Migrate(ctx, pg.URL())
//	pg.Stop()    // an outage
//	pg.Start()   // back
//	pg.Restart() // kill -9 and start: a crash
package testsvc
