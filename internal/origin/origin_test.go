package origin

import "testing"

func TestPolicy(t *testing.T) {
	p, err := Parse([]string{" https://play.example.com ", "http://localhost:*", "http://[::1]:*", "http://127.0.0.1:8080", ""})
	if err != nil {
		t.Fatal(err)
	}
	for o, want := range map[string]bool{
		"https://play.example.com":      true,
		"HTTPS://Play.Example.com":      true,
		"http://play.example.com":       false, // other scheme
		"https://play.example.com:8443": false, // other port
		"http://localhost:5173":         true,
		"http://localhost":              false, // :* needs a port
		"https://localhost:5173":        false,
		"http://[::1]:3000":             true,
		"http://127.0.0.1:8080":         true,
		"http://127.0.0.1:8081":         false,
		"null":                          false,
		"":                              false,
		"https://evil.example":          false,
		"http://localhost.evil:80":      false,
	} {
		if got := p.Allows(o); got != want {
			t.Errorf("Allows(%q) = %v, want %v", o, got, want)
		}
	}
	if !MustParse("*").Allows("https://anything.example") {
		t.Error("* must allow any origin")
	}
	if !(Policy{}).Empty() || (Policy{}).Allows("http://localhost:1") {
		t.Error("the zero policy allows nothing")
	}
	for _, bad := range []string{"localhost:8080", "ftp://x", "https://x/path", "https://x?q", "https://u@x", "https://x:1:*", "https://"} {
		if _, err := Parse([]string{bad}); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestSameOrigin(t *testing.T) {
	if !SameOrigin("http://127.0.0.1:8080", "127.0.0.1:8080") || !SameOrigin("https://Play.example", "play.example") {
		t.Error("same origin not recognised")
	}
	if SameOrigin("http://127.0.0.1:8081", "127.0.0.1:8080") || SameOrigin("", "x") {
		t.Error("other origin taken for the same")
	}
}
