// Package fdlimit raises the process's soft limit on open files
// (RLIMIT_NOFILE) to its hard limit, and counts open descriptors. Every
// server subcommand calls Raise at start-up: Linux's default soft limit
// (1024 on many distributions) is far below what a room server's
// connections need, while the hard limit is the operator's real budget.
//
//	if lim, err := fdlimit.Raise(); err == nil {
//		log.Info("open files", "limit", lim)
//	}
package fdlimit
