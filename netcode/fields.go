package netcode

// Pantheon field table v1: what the room server puts in Entity.Fields
// (PROTOCOL.md, "Pantheon field table v1"). netcode itself treats fields
// as opaque integers; these names exist so the server, the client library
// and bots agree on one table.
const (
	FieldKind      = 0  // entity kind (player, npc, projectile, sigil, ... as content defines)
	FieldTeam      = 1  // team index
	FieldX         = 2  // position x, centimetres
	FieldY         = 3  // position y, centimetres
	FieldFacing    = 4  // facing, 0-255 = one full turn
	FieldHP        = 5  // hit points
	FieldMaxHP     = 6  // maximum hit points
	FieldEnergy    = 7  // energy / resource
	FieldStatus    = 8  // status bits, see Status*
	FieldForm      = 9  // shapeshift form index
	FieldArchetype = 10 // archetype / content index
	FieldOwnerSeat = 11 // owning seat, -1 none
	FieldProgress  = 12 // ritual sigil progress or boss phase
	// Fields 13-15 are reserved in v1; 16-31 are free for later versions.
)

// Status bits of FieldStatus.
const (
	StatusShield     = 1 << 0
	StatusBurn       = 1 << 1
	StatusStun       = 1 << 2
	StatusWard       = 1 << 3
	StatusChanneling = 1 << 4
	StatusEnraged    = 1 << 5
)
