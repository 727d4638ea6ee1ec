// Package match is the matchmaker: a pure function over a snapshot of queued
// tickets and the current time that returns the matches to form and the
// tickets that expired.
//
// Process never reads a clock, sleeps, logs or touches the network; the lobby
// takes a snapshot of a mode's queue, calls Process, and applies the result
// (atomic claims in the state store, room allocation, push events). Tests call
// Process directly with synthetic time.
//
//	mode, _ := match.LookupMode("battle_3v3")
//	res := match.Process(mode, match.DefaultPolicy(), tickets, now)
//	for _, m := range res.Matches {
//		// m.Teams[0] plays m.Teams[1]; m.Window is the rating window it was formed under.
//	}
//
// Rules: a ticket is one player or a party (kept on one team); its rating is
// its members' mean Mu. A ticket's window is Policy.Window at its wait time
// (it widens linearly from Base to Max). Every ticket in a match is within
// both its own window and the anchor's (the oldest ticket that could anchor
// a match) of
// the anchor's rating, and for two-team modes the teams' mean ratings differ
// by at most the anchor's window. Each team holds the mode's required number
// of Host oracles.
package match
