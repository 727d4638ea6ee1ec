package lobby

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pantheon-oracles/pantheon/lobby/auth"
	"github.com/pantheon-oracles/pantheon/lobby/flags"
	"github.com/pantheon-oracles/pantheon/lobby/store"
)

// CodeModeDisabled: ticket creation refused because the mode's flag
// ("mode.<mode id>") is off for the caller.
const CodeModeDisabled = "mode_disabled"

// CodeInvalidFlag: an admin flag write failed validation.
const CodeInvalidFlag = "invalid_flag"

// flagsTopic is the Events topic a flag write is announced on; every
// replica reloads every definition from the store when it hears it.
const flagsTopic = "flags"

// flagReloadInterval is the safety net: each replica reloads the flags
// this often even when it heard no announcement (one lost in a Redis
// outage, say).
const flagReloadInterval = 10 * time.Second

// Request headers giving the caller's flag context (GET /v1/flags and
// ticket gating). The player id comes from the access token.
const (
	HeaderPlatform   = "X-Pantheon-Platform"
	HeaderRegion     = "X-Pantheon-Region"
	HeaderAppVersion = "X-Pantheon-App-Version"
	HeaderPhase      = "X-Pantheon-Phase"
)

// flagContext is the flag evaluation context of r's caller c.
func flagContext(r *http.Request, player string) flags.Context {
	ph, _ := flags.ParsePhase(r.Header.Get(HeaderPhase))
	return flags.Context{PlayerID: player, Platform: strings.ToLower(r.Header.Get(HeaderPlatform)),
		Region: strings.ToLower(r.Header.Get(HeaderRegion)), AppVersion: r.Header.Get(HeaderAppVersion), Phase: ph}
}

// reloadFlags loads every definition from the store into the evaluator.
// A definition that no longer validates is skipped (and logged).
func (l *Lobby) reloadFlags(ctx context.Context) error {
	all, err := l.st.AllFlags(ctx)
	if err != nil {
		return err
	}
	defs := make([]flags.Definition, 0, len(all))
	for key, raw := range all {
		d, err := flags.Parse(raw)
		if err != nil {
			l.log.Warn("stored flag does not validate; skipped", "flag", key, "err", err)
			continue
		}
		defs = append(defs, d)
	}
	return l.flagEv.Load(defs)
}

// flagLoop keeps this replica's flags current until ctx ends: it reloads
// on every announcement on flagsTopic and every flagReloadInterval. sub
// is the subscription Run made (nil when the store was unreachable; the
// loop then retries subscribing at each reload).
func (l *Lobby) flagLoop(ctx context.Context, sub store.Subscription) {
	tick := time.NewTicker(flagReloadInterval)
	defer tick.Stop()
	var c <-chan []byte
	for {
		if sub == nil {
			if s, err := l.st.Subscribe(ctx, flagsTopic); err == nil {
				sub = s
				defer s.Close()
			}
		}
		if sub != nil {
			c = sub.C()
		}
		select {
		case <-ctx.Done():
			return
		case <-c:
		case <-tick.C:
		}
		if err := l.reloadFlags(ctx); err != nil && ctx.Err() == nil {
			l.logFailure("flag reload failed", err)
		}
	}
}

// startFlags subscribes to flag announcements and loads the flags once;
// Run calls it before serving so a change made after Run answers is heard.
func (l *Lobby) startFlags(ctx context.Context) store.Subscription {
	sub, err := l.st.Subscribe(ctx, flagsTopic)
	if err != nil {
		sub = nil
	}
	if err := l.reloadFlags(ctx); err != nil {
		l.logFailure("flag load failed", err)
	}
	return sub
}

// handleFlags: GET /v1/flags, every flag evaluated for the caller (player
// id from the token; platform, region, app version and phase from the
// X-Pantheon-* headers).
func (l *Lobby) handleFlags(w http.ResponseWriter, r *http.Request, c auth.Claims) error {
	writeJSON(w, http.StatusOK, map[string]any{"flags": l.flagEv.Evaluate(r.Context(), flagContext(r, c.PlayerID))})
	return nil
}

// checkModeFlag refuses a ticket for mode when flag "mode.<mode>" is
// defined and off for any of players (each with the caller's request
// context). An undefined flag leaves the mode open.
func (l *Lobby) checkModeFlag(r *http.Request, mode string, players []string) error {
	for _, p := range players {
		if !l.flagEv.Bool(r.Context(), "mode."+mode, flagContext(r, p), true) {
			return fail(http.StatusForbidden, CodeModeDisabled, "mode "+mode+" is not available to player "+p+" (flag mode."+mode+")")
		}
	}
	return nil
}

// handleAdminFlags: GET /admin/v1/flags, every stored definition.
func (l *Lobby) handleAdminFlags(w http.ResponseWriter, r *http.Request) error {
	all, err := l.st.AllFlags(r.Context())
	if err != nil {
		return err
	}
	out := map[string]json.RawMessage{}
	for k, v := range all {
		out[k] = v
	}
	writeJSON(w, http.StatusOK, map[string]any{"flags": out})
	return nil
}

// handleAdminFlag: GET /admin/v1/flags/{key}.
func (l *Lobby) handleAdminFlag(w http.ResponseWriter, r *http.Request) error {
	all, err := l.st.AllFlags(r.Context())
	if err != nil {
		return err
	}
	raw, ok := all[r.PathValue("key")]
	if !ok {
		return fail(http.StatusNotFound, CodeNotFound, "no flag "+r.PathValue("key"))
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(raw)
	return nil
}

// actor is who an admin write is audited as: the X-Pantheon-Actor header,
// else the caller's address.
func (l *Lobby) actor(r *http.Request) string {
	if a := strings.TrimSpace(r.Header.Get("X-Pantheon-Actor")); a != "" && len(a) <= 128 {
		return a
	}
	return "admin@" + l.clientIP(r).String()
}

// announceFlags reloads this replica and tells the others.
func (l *Lobby) announceFlags(ctx context.Context) {
	if err := l.reloadFlags(ctx); err != nil {
		l.logFailure("flag reload failed", err)
	}
	if err := l.st.Publish(ctx, flagsTopic, []byte(strconv.FormatInt(l.now().UnixMilli(), 10))); err != nil {
		l.logFailure("flag announcement failed; replicas catch up at their next reload", err)
	}
}

// handlePutFlag: PUT /admin/v1/flags/{key}, body a definition (its key
// may be left out). 200 with the stored definition.
func (l *Lobby) handlePutFlag(w http.ResponseWriter, r *http.Request) error {
	var d flags.Definition
	if err := decode(r, &d); err != nil {
		return err
	}
	if d.Key == "" {
		d.Key = r.PathValue("key")
	}
	if d.Key != r.PathValue("key") {
		return fail(http.StatusBadRequest, CodeInvalidFlag, "body key "+d.Key+" differs from the path's")
	}
	if err := d.Validate(); err != nil {
		return fail(http.StatusBadRequest, CodeInvalidFlag, err.Error())
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if _, err := l.st.PutFlag(r.Context(), d.Key, raw, l.actor(r), l.now().UTC()); err != nil {
		return err
	}
	l.announceFlags(r.Context())
	writeJSON(w, http.StatusOK, d)
	return nil
}

// handleDeleteFlag: DELETE /admin/v1/flags/{key}, 204 or 404.
func (l *Lobby) handleDeleteFlag(w http.ResponseWriter, r *http.Request) error {
	_, err := l.st.DeleteFlag(r.Context(), r.PathValue("key"), l.actor(r), l.now().UTC())
	if errors.Is(err, store.ErrNotFound) {
		return fail(http.StatusNotFound, CodeNotFound, "no flag "+r.PathValue("key"))
	}
	if err != nil {
		return err
	}
	l.announceFlags(r.Context())
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// flagAuditView is one audit entry in GET /admin/v1/flag-audit.
type flagAuditView struct {
	Key   string          `json:"key"`
	Actor string          `json:"actor"`
	At    time.Time       `json:"at"`
	Old   json.RawMessage `json:"old"`
	New   json.RawMessage `json:"new"`
}

// handleFlagAudit: GET /admin/v1/flag-audit?limit=N (default 100), newest
// first.
func (l *Lobby) handleFlagAudit(w http.ResponseWriter, r *http.Request) error {
	limit := 100
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > store.FlagAuditCap {
			return fail(http.StatusBadRequest, CodeBadRequest, "limit must be 1 to "+strconv.Itoa(store.FlagAuditCap))
		}
		limit = n
	}
	entries, err := l.st.FlagAudit(r.Context(), limit)
	if err != nil {
		return err
	}
	out := make([]flagAuditView, len(entries))
	for i, e := range entries {
		out[i] = flagAuditView{Key: e.Key, Actor: e.Actor, At: e.At.UTC(), Old: json.RawMessage("null"), New: json.RawMessage("null")}
		if e.Old != nil {
			out[i].Old = e.Old
		}
		if e.New != nil {
			out[i].New = e.New
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"audit": out})
	return nil
}
