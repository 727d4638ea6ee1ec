package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/tools/contentcheck"
)

// runContent checks or lists game content:
//
//	pantheon content check [DIR]   validate the embedded content, or the files in DIR
//	pantheon content list          list modes, arenas, archetypes, abilities, ...
func runContent(_ context.Context, args []string, stdout, stderr io.Writer) int {
	usage := func() int {
		fmt.Fprintln(stderr, "usage: pantheon content check [DIR] | pantheon content list")
		return 2
	}
	if len(args) == 0 {
		return usage()
	}
	switch args[0] {
	case "check":
		if len(args) > 2 {
			return usage()
		}
		var fsys fs.FS = content.Embedded()
		source := "embedded"
		if len(args) == 2 {
			if fi, err := os.Stat(args[1]); err != nil || !fi.IsDir() {
				fmt.Fprintf(stderr, "pantheon content check: %s is not a directory\n", args[1])
				return 2
			}
			fsys, source = os.DirFS(args[1]), args[1]
		}
		r := contentcheck.Check(fsys, source)
		r.Write(stdout)
		if !r.OK() {
			return 1
		}
		return 0
	case "list":
		c, err := content.Load()
		if err != nil {
			fmt.Fprintf(stderr, "pantheon content list: %v\n", err)
			return 1
		}
		contentcheck.WriteCatalog(stdout, c)
		return 0
	}
	return usage()
}
