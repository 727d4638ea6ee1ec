// Command pantheon is the single binary of the Pantheon game server: the
// lobby, the room server, the tools and the bench, one subcommand each.
//
//	pantheon dev                     # the whole system on one machine (make run)
//	pantheon room --fleet-secret S   # a room server
//	pantheon lobby --jwt-key K --fleet-secret S
//	pantheon migrate up --db postgres://...
//	pantheon bench --scenario match  # bots through lobby, queue, room and play
//	pantheon replay verify FILE      # re-simulate a recorded match
//	pantheon content check           # validate the game content
//
// This package only wires the others together: each subcommand lives in a
// file of its own beside main.go (cmd_*.go), parses its flags and
// environment, builds the packages' configs and runs them. `pantheon help`
// lists the subcommands; each takes -h.
package main
