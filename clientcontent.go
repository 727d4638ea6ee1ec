package main

import (
	"encoding/json"
	"strings"

	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/lobby"
	"github.com/pantheon-oracles/pantheon/netcode"
)

// wireCode is one number a client meets on the wire, with its stable name.
type wireCode struct {
	Code int    `json:"code"`
	Name string `json:"name"`
	// Resumable is set for error codes: whether a client may resume after it.
	Resumable *bool `json:"resumable,omitempty"`
}

// wireCodes are every number a client must understand, by table
// (netcode/PROTOCOL.md and server/EVENTS.md document the same tables; a
// test keeps them equal).
type wireCodes struct {
	Fields       []wireCode `json:"fields"`        // entity field indices (field table v1)
	EntityKinds  []wireCode `json:"entity_kinds"`  // field 0 values
	StatusBits   []wireCode `json:"status_bits"`   // field 8 bits: code is the bit index
	EventKinds   []wireCode `json:"event_kinds"`   // element 0 of an event
	Causes       []wireCode `json:"causes"`        // code of damage and heal events
	Reasons      []wireCode `json:"reasons"`       // code of cast_rejected, input_clamped, input_rejected
	Statuses     []wireCode `json:"statuses"`      // code of status_applied and status_expired
	Outcomes     []wireCode `json:"outcomes"`      // code of match_end
	HazardStages []wireCode `json:"hazard_stages"` // code of hazard events
	SurgeStages  []wireCode `json:"surge_stages"`  // code of surge events
	ErrorCodes   []wireCode `json:"error_codes"`   // error and bye codes
}

// clientContent is GET /v1/content: the game content a client needs to
// name what it sees (indices in each list are the indices on the wire:
// field 10 of an entity, ref of an event) and every wire code.
type clientContent struct {
	Version    string                 `json:"version"`
	Protocol   int                    `json:"protocol"`
	Codes      wireCodes              `json:"codes"`
	Modes      []content.ModeDef      `json:"modes"`
	Elements   []content.ElementDef   `json:"elements"`
	Archetypes []content.ArchetypeDef `json:"archetypes"`
	Abilities  []content.AbilityDef   `json:"abilities"`
	Roles      []content.RoleDef      `json:"roles"`
	Statuses   []content.StatusDef    `json:"statuses"`
	Forms      []content.FormDef      `json:"forms"`
	Pets       []content.PetDef       `json:"pets"`
	Totems     []content.TotemDef     `json:"totems"`
	NPCs       []content.NPCDef       `json:"npcs"`
	Hazards    []content.HazardDef    `json:"hazards"`
	Arenas     []content.ArenaDef     `json:"arenas"`
	Raids      []content.RaidDef      `json:"raids"`
	Rituals    []content.RitualDef    `json:"rituals"`
	Codex      []content.CodexDef     `json:"codex"`
}

// fieldNames are the entity field table v1 (ecs View* constants).
var fieldNames = []string{ecs.ViewKind: "kind", ecs.ViewTeam: "team", ecs.ViewX: "x", ecs.ViewY: "y",
	ecs.ViewFacing: "facing", ecs.ViewHP: "hp", ecs.ViewMaxHP: "max_hp", ecs.ViewEnergy: "energy",
	ecs.ViewStatus: "status", ecs.ViewForm: "form", ecs.ViewContent: "content", ecs.ViewOwner: "owner_seat",
	ecs.ViewProgress: "progress"}

// names lists name(i) for i from 0 until it reports false.
func names(name func(int) (string, bool)) []wireCode {
	var out []wireCode
	for i := 0; ; i++ {
		n, ok := name(i)
		if !ok {
			return out
		}
		out = append(out, wireCode{Code: i, Name: n})
	}
}

// known is the ok of names for String methods that print "prefix(N)" for
// unknown values.
func known(s, prefix string) (string, bool) { return s, !strings.HasPrefix(s, prefix+"(") }

// buildWireCodes collects the tables from the packages that define them.
func buildWireCodes() wireCodes {
	var c wireCodes
	for i, n := range fieldNames {
		c.Fields = append(c.Fields, wireCode{Code: i, Name: n})
	}
	c.EntityKinds = names(func(i int) (string, bool) {
		n := ecs.Kind(i).String()
		return n, i == 0 || n != "none"
	})
	for i, n := range []string{"shield", "burn", "stun", "ward", "channeling", "enraged"} {
		c.StatusBits = append(c.StatusBits, wireCode{Code: i, Name: n})
	}
	c.EventKinds = names(func(i int) (string, bool) { return known(ecs.EventKind(i).String(), "event") })
	c.Causes = names(func(i int) (string, bool) { return known(ecs.Cause(i).String(), "cause") })
	c.Reasons = names(func(i int) (string, bool) { return known(ecs.Reason(i).String(), "reason") })
	c.Statuses = names(func(i int) (string, bool) {
		n := ecs.Status(i).String()
		return n, i == 0 || n != "none"
	})
	c.Outcomes = names(func(i int) (string, bool) {
		n := ecs.OutcomeByCode(uint8(i))
		return n, n != "unknown"
	})
	c.HazardStages = []wireCode{{Code: ecs.HazardWarn, Name: "warn"}, {Code: ecs.HazardStrike, Name: "strike"}, {Code: ecs.HazardEnd, Name: "end"}}
	c.SurgeStages = []wireCode{{Code: ecs.SurgeWarn, Name: "warn"}, {Code: ecs.SurgeStrike, Name: "strike"}}
	c.ErrorCodes = names(func(i int) (string, bool) {
		n := netcode.Code(i).String()
		return n, !strings.HasPrefix(n, "code(") && n != "unknown" && n != ""
	})
	for i := range c.ErrorCodes {
		r := netcode.Code(c.ErrorCodes[i].Code).Resumable()
		c.ErrorCodes[i].Resumable = &r
	}
	return c
}

// newClientContent renders GET /v1/content for content.
func newClientContent(c *content.Bundle) (*lobby.ClientContent, error) {
	doc, err := json.Marshal(clientContent{
		Version: c.Version(), Protocol: int(netcode.Version), Codes: buildWireCodes(),
		Modes: c.Modes(), Elements: c.Elements(), Archetypes: c.Archetypes(), Abilities: c.Abilities(),
		Roles: c.Roles(), Statuses: c.Statuses(), Forms: c.Forms(), Pets: c.Pets(), Totems: c.Totems(),
		NPCs: c.NPCs(), Hazards: c.Hazards(), Arenas: c.Arenas(), Raids: c.Raids(), Rituals: c.Rituals(),
		Codex: c.Codex(),
	})
	if err != nil {
		return nil, err
	}
	return &lobby.ClientContent{Version: c.Version(), JSON: doc}, nil
}
