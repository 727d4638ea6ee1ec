package bench

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// LoginReport is what the "login" scenario measured.
type LoginReport struct {
	Logins int `json:"logins"` // asked for
	OK     int `json:"ok"`
	// Rate is the logins per second asked for (0: as fast as Concurrency
	// allows); Achieved is what the lobby sustained.
	Rate     float64 `json:"rate"`
	Achieved float64 `json:"achieved_rate"`
	// Latency is each POST /v1/auth/guest as the client saw it.
	Latency Latency `json:"latency"`
	// Refused counts answers by error code (rate_limited, unavailable, ...).
	Refused map[string]int `json:"refused,omitempty"`
}

// runLogin is the login kind: the scenario's clients guest logins with new
// device ids (each creates a player), started at sc.LoginRate per second
// with at most sc.Concurrency in flight, against the lobby at cfg.Lobby.
// Every login is timed from request to answer. Run the lobby with per-IP
// limits above the rate: every login comes from this machine.
func runLogin(ctx context.Context, r resolved, col *collector) (Report, error) {
	cfg := r.Config
	sc := r.sc
	ks := col.key("", "")
	rep := Report{Scenario: sc.Name, Target: cfg.Lobby}
	lr := &LoginReport{Logins: sc.Clients, Rate: sc.LoginRate, Refused: map[string]int{}}
	rep.Login = lr
	httpc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxIdleConns: sc.Concurrency, MaxIdleConnsPerHost: sc.Concurrency, IdleConnTimeout: 30 * time.Second,
	}}
	defer httpc.CloseIdleConnections()

	var pace <-chan time.Time
	if sc.LoginRate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / sc.LoginRate))
		defer t.Stop()
		pace = t.C
	}
	stamp := time.Now().UnixNano()
	sem := make(chan struct{}, sc.Concurrency)
	var (
		mu      sync.Mutex
		samples []time.Duration
		wg      sync.WaitGroup
	)
	start := time.Now()
	for i := range sc.Clients {
		if pace != nil {
			select {
			case <-pace:
			case <-ctx.Done():
			}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			lc := &lobbyClient{base: cfg.Lobby, http: httpc}
			t := time.Now()
			err := lc.guest(ctx, fmt.Sprintf("bench-login-%d-%d", stamp, i))
			d := time.Since(t)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ks.h[mLogin].add(d)
			} else {
				col.fail(stepErr("login", err), err)
			}
			if err == nil {
				lr.OK++
				samples = append(samples, d)
				return
			}
			rep.Failed++
			code := "transport"
			if le, ok := err.(*lobbyError); ok {
				code = le.Code
			}
			lr.Refused[code]++
			if len(rep.Errors) < maxReportedErrors {
				rep.Errors = append(rep.Errors, err.Error())
			}
		}()
	}
	wg.Wait()
	if el := time.Since(start); el > 0 {
		lr.Achieved = float64(lr.OK+rep.Failed) / el.Seconds()
	}
	lr.Latency = summarize(samples)
	return rep, ctx.Err()
}
