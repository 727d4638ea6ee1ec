// Package bot plays Pantheon matches headlessly: scripted bots that act on
// the entity views a client would see, and helpers to build seats and run a
// whole match. `pantheon dev` uses it for its demo matches; tests use it
// for determinism, race and replay checks; a load generator can drive the
// same bots from snapshots.
//
// Like ecs, it is pure (no clock, I/O or global RNG; checked by
// tools/purity) and deterministic: the same content, config and seed give
// the same match.
//
// Usage:
//
//	c, _ := content.Load()
//	cfg, _ := bot.DemoConfig(c, "battle_3v3", "", 42)
//	m, _ := bot.NewMatch(c, cfg, 0)
//	result := m.Run(m.Sim.MaxTicks())
//	for _, line := range bot.Summary(c, result) {
//		fmt.Println(line)
//	}
package bot
