package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// runFlags is `pantheon flags set|get|list|delete|audit`: it talks to a
// lobby's admin endpoint (/admin/v1/flags) with the fleet secret.
func runFlags(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	usage := func() int {
		fmt.Fprintln(stderr, "usage: pantheon flags [--admin URL] [--fleet-secret S] [--actor NAME] set KEY FILE|- | get KEY | list | delete KEY | audit")
		return 2
	}
	fs := flag.NewFlagSet("flags", flag.ContinueOnError)
	fs.SetOutput(stderr)
	admin := fs.String("admin", envOr("PANTHEON_LOBBY_ADMIN_URL", "http://127.0.0.1:8081"), "the lobby's admin base URL (env PANTHEON_LOBBY_ADMIN_URL)")
	secretFlag := fs.String("fleet-secret", os.Getenv("PANTHEON_FLEET_SECRET"), "the fleet secret, or @FILE (env PANTHEON_FLEET_SECRET)")
	actor := fs.String("actor", os.Getenv("USER"), "who the change is audited as (default $USER)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	args = fs.Args()
	if len(args) == 0 {
		return usage()
	}
	secret, err := secretValue("fleet-secret", *secretFlag)
	if err != nil {
		fmt.Fprintln(stderr, "pantheon flags:", err)
		return 2
	}
	var method, path string
	var body io.Reader
	switch {
	case args[0] == "list" && len(args) == 1:
		method, path = "GET", "/admin/v1/flags"
	case args[0] == "audit" && len(args) == 1:
		method, path = "GET", "/admin/v1/flag-audit"
	case args[0] == "get" && len(args) == 2:
		method, path = "GET", "/admin/v1/flags/"+url.PathEscape(args[1])
	case args[0] == "delete" && len(args) == 2:
		method, path = "DELETE", "/admin/v1/flags/"+url.PathEscape(args[1])
	case args[0] == "set" && len(args) == 3:
		var data []byte
		if args[2] == "-" {
			data, err = io.ReadAll(os.Stdin)
		} else {
			data, err = os.ReadFile(args[2])
		}
		if err != nil {
			fmt.Fprintln(stderr, "pantheon flags set:", err)
			return 1
		}
		method, path, body = "PUT", "/admin/v1/flags/"+url.PathEscape(args[1]), bytes.NewReader(data)
	default:
		return usage()
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(*admin, "/")+path, body)
	if err != nil {
		fmt.Fprintln(stderr, "pantheon flags:", err)
		return 2
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("X-Pantheon-Actor", *actor)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(stderr, "pantheon flags:", err)
		return 1
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		fmt.Fprintf(stderr, "pantheon flags %s: %s %s\n", args[0], resp.Status, bytes.TrimSpace(out))
		return 1
	}
	_, _ = stdout.Write(out)
	return 0
}
