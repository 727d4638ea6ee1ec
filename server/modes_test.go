package server

// The content's mode ids, for tests (the server itself takes its modes from
// the content it runs).
const (
	ModeBattle1v1 = "battle_1v1"
	ModeBattle3v3 = "battle_3v3"
	ModeBattle5v5 = "battle_5v5"
	ModeRaid      = "raid"
	ModeRitual    = "ritual"
)

// testModes are the modes of the test servers built on scripted engines.
var testModes = []string{ModeBattle1v1, ModeBattle3v3, ModeBattle5v5, ModeRaid, ModeRitual}
