// Package outage follows whether one dependency (a database, a state
// store) is up or down, so that an outage logs like a service: one line
// when the dependency goes down, with the error that showed it, and one
// line when it comes back, with how long it was gone and how many
// failures were seen meanwhile, instead of one line per failed call.
//
// Callers report every attempt's outcome; the tracker only acts on
// changes of state:
//
//	db := outage.New(outage.Config{Name: "database", Log: log,
//		OnChange: func(up bool) { upGauge.Set(boolToFloat(up)) },
//		OnFail:   func(error) { failures.Inc() }})
//	if err := ping(ctx); err != nil {
//		db.Fail(err) // logs "dependency down" on the first failure only
//	} else {
//		db.OK() // logs "dependency recovered" once, with the outage's duration
//	}
//
// A Tracker starts up: a dependency is presumed healthy until a call fails.
package outage
