package testsvc

import (
	"os"
	"testing"
)

// Environment variables read by this package.
const (
	// EnvPostgres holds a PostgreSQL connection URL for tests,
	// e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
	EnvPostgres = "PANTHEON_TEST_POSTGRES"
	// EnvRedis holds a Redis URL for tests, e.g. redis://127.0.0.1:6379/0.
	EnvRedis = "PANTHEON_TEST_REDIS"
	// EnvRequire, when "1", turns every missing-service skip into a failure.
	EnvRequire = "PANTHEON_REQUIRE_SERVICES"
)

// Postgres returns the PostgreSQL URL tests should use, or skips (fails when
// services are required) if none is configured.
func Postgres(t testing.TB) string {
	t.Helper()
	return lookup(t, EnvPostgres, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
}

// Redis returns the Redis URL tests should use, or skips (fails when services
// are required) if none is configured.
func Redis(t testing.TB) string {
	t.Helper()
	return lookup(t, EnvRedis, "redis://127.0.0.1:6379/0")
}

// Required reports whether PANTHEON_REQUIRE_SERVICES=1 is set.
func Required() bool { return os.Getenv(EnvRequire) == "1" }

func lookup(t testing.TB, env, example string) string {
	t.Helper()
	if v := os.Getenv(env); v != "" {
		return v
	}
	msg := env + " is not set; run `.ci/run`, or set " + env + "=" + example + " to run this test"
	if Required() {
		t.Fatal(msg + " (" + EnvRequire + "=1 forbids skipping)")
	}
	t.Skip(msg)
	return ""
}
