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
package testsvc
