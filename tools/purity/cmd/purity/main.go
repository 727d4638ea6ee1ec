package main

import (
	"github.com/pantheon-oracles/pantheon/tools/purity"
	"golang.org/x/tools/go/analysis/singlechecker"
)

func main() { singlechecker.Main(purity.New()) }
