package content

// Limits of the simulation that content is validated against, so that every
// Bundle Parse accepts is playable. Package ecs defines its constants of the
// same names as these.
const (
	// MaxSeats bounds the seat numbers (0..MaxSeats-1) and players of a match.
	MaxSeats = 64
	// MaxLoadout is the number of ability slots an oracle has.
	MaxLoadout = 4
	// MinTickRate and MaxTickRate bound a mode's tick rate in Hz.
	MinTickRate = 20
	MaxTickRate = 60
	// MaxTicks bounds a match's length in ticks (one hour at 60 Hz).
	MaxTicks = 216_000
	// MaxGesture is the highest gesture id a sigil may answer to.
	MaxGesture = 15
	// SigilProgress is the progress a ritual sigil needs to complete, in
	// the units of RitualDef's rates.
	SigilProgress = 1000
)

// The vocabulary of content's enumerated strings. The simulation maps each
// to its own enum by name (ecs's tests check that every name of theirs is
// one of these).

// statusIDs lists the status ids statuses.json must define, in the order
// Statuses returns them.
func statusIDs() []string { return []string{"shield", "burn", "stun", "ward"} }

// modeKinds lists the kinds of mode.
func modeKinds() []string { return []string{"battle", "raid", "ritual"} }

// triggers lists the codex triggers.
func triggers() []string {
	return []string{"first_blood", "ultimate", "shapeshift", "boss_kill", "ritual_success", "gesture", "last_stand"}
}

// zodiac lists the twelve archetype ids content must define.
func zodiac() []string {
	return []string{"aries", "taurus", "gemini", "cancer", "leo", "virgo",
		"libra", "scorpio", "sagittarius", "capricorn", "aquarius", "pisces"}
}

// roleIDs lists the roster roles content must define.
func roleIDs() []string { return []string{"host", "friend", "descendant"} }

// requiredModes lists the mode ids the lobby and room server rely on.
func requiredModes() []string {
	return []string{"battle_1v1", "battle_3v3", "battle_5v5", "raid", "ritual"}
}
