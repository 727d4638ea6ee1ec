//go:build windows

package testsvc

import "os"

// killPID terminates pid at once (TerminateProcess, Windows' SIGKILL).
func killPID(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	defer p.Release()
	return p.Kill()
}
