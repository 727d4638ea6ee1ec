//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// ownGroup puts cmd in its own process group and makes cancelling its
// context kill the whole group, so the test binaries the go command started
// die with it.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
