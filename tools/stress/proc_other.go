//go:build !unix

package main

import "os/exec"

// ownGroup is a no-op where there are no process groups: cancelling kills
// only the go command.
func ownGroup(cmd *exec.Cmd) {}
