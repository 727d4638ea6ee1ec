package server

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func testTickets(t *testing.T) *Tickets {
	t.Helper()
	tk, err := NewTickets(bytes.Repeat([]byte("k"), 32))
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestTicketRoundTripAndReuse(t *testing.T) {
	tk := testTickets(t)
	now := clockOrigin
	tok, exp, err := tk.Issue(KindJoin, "r_1", 3, "p_9", now, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(now.Add(time.Minute)) {
		t.Fatalf("expires %v", exp)
	}
	c, err := tk.Redeem(tok, KindJoin, now.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if c.Room != "r_1" || c.Seat != 3 || c.Player() != "p_9" {
		t.Fatalf("claims %+v", c)
	}
	if _, err := tk.Redeem(tok, KindJoin, now.Add(2*time.Second)); !errors.Is(err, ErrTicketReused) {
		t.Fatalf("second redeem: %v, want ErrTicketReused", err)
	}
}

func TestTicketRefusals(t *testing.T) {
	tk := testTickets(t)
	other, _ := NewTickets(bytes.Repeat([]byte("x"), 32))
	now := clockOrigin
	good, _, _ := tk.Issue(KindJoin, "r_1", 0, "p_1", now, time.Minute)
	forged, _, _ := other.Issue(KindJoin, "r_1", 0, "p_1", now, time.Minute)
	otherKind, _, _ := tk.Issue("other", "r_1", 0, "p_1", now, time.Minute)
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + parts[1] + "x." + parts[2]

	none := jwt.NewWithClaims(jwt.SigningMethodNone, TicketClaims{Kind: KindJoin, Room: "r_1",
		RegisteredClaims: jwt.RegisteredClaims{Subject: "p_1", ID: "a", ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}})
	noneTok, err := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	hs512 := jwt.NewWithClaims(jwt.SigningMethodHS512, TicketClaims{Kind: KindJoin, Room: "r_1",
		RegisteredClaims: jwt.RegisteredClaims{Subject: "p_1", ID: "b", ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}})
	hs512Tok, _ := hs512.SignedString(bytes.Repeat([]byte("k"), 32))

	cases := []struct {
		name  string
		token string
		kind  string
		at    time.Time
		want  error
	}{
		{"forged", forged, KindJoin, now, ErrTicketInvalid},
		{"tampered", tampered, KindJoin, now, ErrTicketInvalid},
		{"alg none", noneTok, KindJoin, now, ErrTicketInvalid},
		{"other hmac alg", hs512Tok, KindJoin, now, ErrTicketInvalid},
		{"garbage", "not.a.jwt", KindJoin, now, ErrTicketInvalid},
		{"wrong kind", otherKind, KindJoin, now, ErrTicketInvalid},
		{"expired", good, KindJoin, now.Add(time.Minute), ErrTicketExpired},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tk.Redeem(tc.token, tc.kind, tc.at); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	// None of the refusals consumed the good ticket.
	if _, err := tk.Redeem(good, KindJoin, now); err != nil {
		t.Fatalf("good ticket after refusals: %v", err)
	}
}

func TestTicketKeyTooShort(t *testing.T) {
	if _, err := NewTickets([]byte("short")); err == nil {
		t.Fatal("short key accepted")
	}
}

func TestTicketPruneForgetsExpiredIDs(t *testing.T) {
	tk := testTickets(t)
	now := clockOrigin
	for i := 0; i < 10; i++ {
		tok, _, _ := tk.Issue(KindJoin, "r", i, "p", now, time.Second)
		if _, err := tk.Redeem(tok, KindJoin, now); err != nil {
			t.Fatal(err)
		}
	}
	late, _, _ := tk.Issue(KindJoin, "r", 0, "p", now.Add(time.Hour), time.Second)
	if _, err := tk.Redeem(late, KindJoin, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	tk.mu.Lock()
	n := len(tk.used)
	tk.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d ids remembered after expiry, want 1", n)
	}
}
