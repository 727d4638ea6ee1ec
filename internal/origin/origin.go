package origin

import (
	"fmt"
	"net/url"
	"strings"
)

// Policy is a parsed allow-list. The zero Policy allows no origin.
type Policy struct {
	any      bool
	exact    map[string]bool
	anyPorts map[string]bool // "scheme://host" of entries ending in ":*"
	entries  []string
}

// Parse parses entries (empty strings and surrounding spaces are ignored)
// and reports the first malformed one: an entry must be "*" or
// scheme://host[:port] with scheme http or https, no path, query or user
// info, and ":*" for any port.
func Parse(entries []string) (Policy, error) {
	p := Policy{exact: map[string]bool{}, anyPorts: map[string]bool{}}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		p.entries = append(p.entries, e)
		if e == "*" {
			p.any = true
			continue
		}
		base, wildcard := strings.CutSuffix(e, ":*")
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return Policy{}, fmt.Errorf("origin: %q: want *, http(s)://host[:port] or http(s)://host:*", e)
		}
		if wildcard && u.Port() != "" {
			return Policy{}, fmt.Errorf("origin: %q: a port and :*", e)
		}
		key := strings.ToLower(u.Scheme + "://" + u.Host)
		if wildcard {
			p.anyPorts[key] = true
		} else {
			p.exact[key] = true
		}
	}
	return p, nil
}

// MustParse is Parse for lists known to be well formed (defaults, tests);
// it panics on a malformed entry.
func MustParse(entries ...string) Policy {
	p, err := Parse(entries)
	if err != nil {
		panic(err)
	}
	return p
}

// Allows reports whether a request with Origin header value o may be
// served. It does not treat "" (no Origin header) specially: callers
// decide what a request without Origin means.
func (p Policy) Allows(o string) bool {
	if p.any {
		return true
	}
	if o == "" || o == "null" {
		return false
	}
	o = strings.ToLower(o)
	if p.exact[o] {
		return true
	}
	u, err := url.Parse(o)
	if err != nil || u.Port() == "" {
		return false
	}
	return p.anyPorts[u.Scheme+"://"+u.Hostname()] || p.anyPorts[u.Scheme+"://["+u.Hostname()+"]"]
}

// Empty reports whether the policy allows no origin at all.
func (p Policy) Empty() bool { return !p.any && len(p.exact) == 0 && len(p.anyPorts) == 0 }

// String lists the entries as given, comma-separated.
func (p Policy) String() string { return strings.Join(p.entries, ",") }

// SameOrigin reports whether origin o names the host a request was sent
// to (its Host header), on either scheme: a page calling back the server
// that served it, which needs no allow-list entry.
func SameOrigin(o, host string) bool {
	if o == "" || host == "" {
		return false
	}
	o = strings.ToLower(o)
	host = strings.ToLower(host)
	return o == "http://"+host || o == "https://"+host
}
