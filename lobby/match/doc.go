// Package match is the matchmaker: a pure function over a snapshot of queued
// tickets and the current time that returns the matches to form and the
// tickets that expired.
//
// Process never reads a clock, sleeps, logs or touches the network; the lobby
// takes a snapshot of a mode's queue, calls Process, and applies the result
// (atomic claims in the state store, room allocation, push events). Tests call
// Process directly with synthetic time.
//
//	modes, err := match.NewModes(content.Modes(), match.DefaultModePolicies())
//	mode, _ := modes.Lookup("battle_3v3")
//	res := match.Process(mode, match.DefaultPolicy(), tickets, now)
//	for _, m := range res.Matches {
//		// m.Teams[0] plays m.Teams[1]; m.Window is the rating window it was formed under.
//	}
//
// Rules: a ticket is one player or a party (kept on one team); its rating is
// its members' mean Mu. A ticket's window is Policy.WindowFor: Policy.Window
// at its wait time (it widens linearly from Base to Max) plus, for an
// uncertain rating, Policy.Uncertainty.PerSigma for every point of the
// ticket's deviation (Ticket.Sigma) above Policy.Uncertainty.Settled, never
// more than Window.Max. Every ticket in a match is within both its own window
// and the anchor's (the oldest ticket that could anchor a match) of the
// anchor's rating, and for two-team modes the teams' mean ratings differ by
// at most the anchor's window. Each team holds the mode's required number of
// Host oracles.
//
// Why Sigma widens windows instead of ranking by the conservative ordinal
// (Mu - 3*Sigma): Mu is the best estimate of a player's skill, so it stays
// what tickets are sorted and balanced by; ranking by the ordinal would put
// every new player (ordinal near 0) against the weakest settled players and
// count them as the weakest teammate when balancing. Sigma instead says how
// little a Mu gap means yet: two new players may be matched across a wider
// gap at once, and a new player and a settled one meet once the settled
// one's own (wait-time) window allows it, because a match needs both windows.
// A settled player is never pulled outside their own window.
package match
