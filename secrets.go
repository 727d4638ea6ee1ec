package main

import (
	"fmt"
	"os"
	"strings"
)

// secretValue resolves the value of a secret flag: "@PATH" reads the
// secret from the file PATH (one trailing newline trimmed), so no secret
// needs to appear in a command line (where ps and /debug/pprof/cmdline
// would show it); any other value is the secret itself, typically from
// the flag's environment variable.
func secretValue(flagName, v string) (string, error) {
	path, ok := strings.CutPrefix(v, "@")
	if !ok {
		return v, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("-%s: %w", flagName, err)
	}
	s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if s == "" {
		return "", fmt.Errorf("-%s: %s is empty", flagName, path)
	}
	return s, nil
}

// resolveSecrets replaces each named flag value by secretValue's result.
func resolveSecrets(secrets map[string]*string) error {
	for name, p := range secrets {
		v, err := secretValue(name, *p)
		if err != nil {
			return err
		}
		*p = v
	}
	return nil
}
