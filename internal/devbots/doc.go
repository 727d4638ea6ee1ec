// Package devbots is what `pantheon dev` adds beside the real system so one
// person can play it on one machine: bots that log in, queue and play
// through the lobby and a room server (the start-up match, and runs the
// browser page asks for), the page's /dev/ API, and the headless demo on
// the bare simulation. Nothing here is part of a production deployment;
// the bots themselves are the bench's "match" scenario.
package devbots
