package ecs_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pantheon-oracles/pantheon/ecs"
)

// TestValidateOracle: good specs pass; each bad one names its field.
func TestValidateOracle(t *testing.T) {
	c := loadContent(t)
	good := []ecs.OracleSpec{
		{Archetype: "aries", Role: "host"},
		{Archetype: "leo", Role: "friend", Loadout: []string{"bulwark", "solar_flare"}, Pet: "ember_fox", Form: "bear", Totem: "fury_totem"},
		{Archetype: "pisces", Role: "descendant", Loadout: []string{"zephyr_mend"}},
	}
	for _, o := range good {
		if err := ecs.ValidateOracle(c, o); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
	bad := []struct {
		o    ecs.OracleSpec
		want string
	}{
		{ecs.OracleSpec{Archetype: "ophiuchus", Role: "host"}, "archetype: unknown archetype"},
		{ecs.OracleSpec{Archetype: "aries", Role: "king"}, "role: unknown role"},
		{ecs.OracleSpec{Archetype: "aries", Role: "host", Loadout: []string{"a", "b", "c", "d", "e"}}, "loadout: 5 abilities, at most 4"},
		{ecs.OracleSpec{Archetype: "aries", Role: "host", Loadout: []string{"ember_strike", "nope"}}, `loadout[1]: unknown ability "nope"`},
		{ecs.OracleSpec{Archetype: "aries", Role: "host", Loadout: []string{"deluge"}}, `loadout[0]: ability "deluge" is not in the aries kit`},
		{ecs.OracleSpec{Archetype: "aries", Role: "host", Loadout: []string{"ember_strike", "ember_strike"}}, "appears twice"},
		{ecs.OracleSpec{Archetype: "leo", Role: "host", Pet: "dragon"}, `pet: unknown pet "dragon"`},
		{ecs.OracleSpec{Archetype: "leo", Role: "host", Form: "kraken"}, `form: unknown form "kraken"`},
		{ecs.OracleSpec{Archetype: "leo", Role: "host", Totem: "pole"}, `totem: unknown totem "pole"`},
	}
	for _, tc := range bad {
		err := ecs.ValidateOracle(c, tc.o)
		if !errors.Is(err, ecs.ErrInvalidOracle) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: want %q, got %v", tc.o, tc.want, err)
		}
	}
}
