// Package replayverify re-simulates recorded matches and reports whether
// they reproduce their per-tick state hashes: the engine behind
// `pantheon replay verify FILE...`.
//
// It reads a replay file (bounded to ecs.MaxReplayBytes), decodes it,
// checks it was recorded with the running content version, and replays it
// through a fresh ecs.Sim with ecs.VerifyReplay, naming the first tick that
// diverges and why.
//
// Usage:
//
//	c, _ := content.Load()
//	r := replayverify.VerifyFile(c, "match.replay")
//	r.Write(os.Stdout)
//	if !r.OK() { os.Exit(1) }
package replayverify
