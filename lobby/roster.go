package lobby

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/lobby/auth"
	"github.com/pantheon-oracles/pantheon/persistence"
)

var oracleIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// maxLoadout bounds the loadout a request may carry before content
// validation (the content's own limit is usually smaller).
const maxLoadout = 8

// identityView is a linked identity in API bodies.
type identityView struct {
	Provider string    `json:"provider"`
	Subject  string    `json:"subject"`
	LinkedAt time.Time `json:"linked_at"`
}

// meResponse is the body of GET /v1/me.
type meResponse struct {
	PlayerID    string         `json:"player_id"`
	DisplayName string         `json:"display_name"`
	CreatedAt   time.Time      `json:"created_at"`
	Identities  []identityView `json:"identities"`
}

// handleMe: GET /v1/me, the caller's profile and linked identities.
func (l *Lobby) handleMe(w http.ResponseWriter, r *http.Request, c auth.Claims) error {
	p, err := l.accounts.Player(r.Context(), c.PlayerID)
	if err != nil {
		return err
	}
	ids, err := l.accounts.Identities(r.Context(), c.PlayerID)
	if err != nil {
		return err
	}
	resp := meResponse{PlayerID: p.ID, DisplayName: p.DisplayName, CreatedAt: p.CreatedAt, Identities: []identityView{}}
	for _, id := range ids {
		resp.Identities = append(resp.Identities, identityView{Provider: id.Provider, Subject: id.Subject, LinkedAt: id.LinkedAt})
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// handleLink: POST /v1/me/identities links a platform identity to the caller.
func (l *Lobby) handleLink(w http.ResponseWriter, r *http.Request, c auth.Claims) error {
	var req providerRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := l.guardAuth(r, "link:"+c.PlayerID); err != nil {
		return err
	}
	id, err := l.verifyProvider(r, req)
	if err != nil {
		return err
	}
	if err := l.accounts.LinkIdentity(r.Context(), c.PlayerID, req.Provider, id.Subject); err != nil {
		return err
	}
	return l.handleMe(w, r, c)
}

// oracleView is an oracle as API bodies show it: the loadout is a list,
// never null.
func oracleView(o contract.Oracle) contract.Oracle {
	if o.Loadout == nil {
		o.Loadout = []string{}
	}
	return o
}

// handleOracles: GET /v1/me/oracles, the caller's roster.
func (l *Lobby) handleOracles(w http.ResponseWriter, r *http.Request, c auth.Claims) error {
	os, err := l.rosters.Oracles(r.Context(), c.PlayerID)
	if err != nil {
		return err
	}
	out := make([]contract.Oracle, 0, len(os))
	for _, o := range os {
		out = append(out, oracleView(o))
	}
	writeJSON(w, http.StatusOK, map[string]any{"oracles": out})
	return nil
}

// checkOracle validates an oracle's shape, then its content ids.
func (l *Lobby) checkOracle(o contract.Oracle) error {
	invalid := func(msg string) error { return fail(http.StatusBadRequest, CodeInvalidOracle, msg) }
	switch {
	case !oracleIDPattern.MatchString(o.ID):
		return invalid("oracle id must be 1..64 of [A-Za-z0-9_-]")
	case len(o.Name) > 32:
		return invalid("name at most 32 bytes")
	case o.Role != contract.RoleHost && o.Role != contract.RoleFriend && o.Role != contract.RoleDescendant:
		return invalid("role must be host, friend or descendant")
	case o.Archetype == "":
		return invalid("archetype is required")
	case len(o.Loadout) > maxLoadout:
		return invalid(fmt.Sprintf("loadout of at most %d abilities", maxLoadout))
	}
	if l.validator != nil {
		if err := l.validator.ValidateOracle(o); err != nil {
			return fail(http.StatusBadRequest, CodeInvalidOracle, err.Error()).because(err)
		}
	}
	return nil
}

// handlePutOracle: PUT /v1/me/oracles/{oracle_id} creates or replaces one
// oracle after validating it against the content.
func (l *Lobby) handlePutOracle(w http.ResponseWriter, r *http.Request, c auth.Claims) error {
	var body contract.Oracle
	if err := decode(r, &body); err != nil {
		return err
	}
	id := r.PathValue("oracle_id")
	if body.ID != "" && body.ID != id {
		return fail(http.StatusBadRequest, CodeInvalidOracle, "body id differs from the path")
	}
	o := contract.Oracle{ID: id, PlayerID: c.PlayerID, Name: body.Name, OracleSpec: body.OracleSpec, UpdatedAt: l.now().UTC()}
	if err := l.checkOracle(o); err != nil {
		return err
	}
	existing, err := l.rosters.Oracles(r.Context(), c.PlayerID)
	if err != nil {
		return err
	}
	isNew := !slices.ContainsFunc(existing, func(e contract.Oracle) bool { return e.ID == id })
	if isNew && len(existing) >= l.cfg.MaxOracles {
		return fail(http.StatusConflict, CodeRosterFull, fmt.Sprintf("a roster holds at most %d oracles", l.cfg.MaxOracles))
	}
	if err := l.rosters.SaveOracle(r.Context(), o); err != nil {
		return err
	}
	status := http.StatusOK
	if isNew {
		status = http.StatusCreated
	}
	writeJSON(w, status, oracleView(o))
	return nil
}

// handleDeleteOracle: DELETE /v1/me/oracles/{oracle_id}.
func (l *Lobby) handleDeleteOracle(w http.ResponseWriter, r *http.Request, c auth.Claims) error {
	err := l.rosters.DeleteOracle(r.Context(), c.PlayerID, r.PathValue("oracle_id"))
	if errors.Is(err, persistence.ErrNotFound) {
		return fail(http.StatusNotFound, CodeOracleNotFound, "no such oracle")
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
