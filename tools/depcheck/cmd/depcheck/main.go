// Command depcheck fails when a package links what the module's rules do
// not allow (package depcheck): a SQL driver outside the store, anything
// but donburi in the simulation. `make verify` runs it from the module root.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/pantheon-oracles/pantheon/tools/depcheck"
)

func main() {
	overlay := flag.String("overlay", "", "a go build -overlay file to check with (tests use it to add an import)")
	flag.Parse()
	vs, err := depcheck.Run(".", *overlay, depcheck.Rules)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for _, v := range vs {
		fmt.Fprintln(os.Stderr, "depcheck:", v)
	}
	if len(vs) > 0 {
		os.Exit(1)
	}
}
