// Typed views of the parts of GET /v1/content the page uses. Every list is
// indexed as on the wire: an entity's content field (10) indexes the list
// of its kind, an event's ref the abilities (or hazards, npcs, ...).

export interface Archetype {
  id: string;
  name: string;
  element: string;
  hp_pct: number;
  power_pct: number;
  speed_pct: number;
  kit: string[];
  default_loadout: string[];
}

export interface Ability {
  id: string;
  name: string;
  element: string;
  target: "enemy" | "ally" | "self" | "point" | string;
  range_cm?: number;
  radius_cm?: number;
  cooldown_ms: number;
  energy_cost: number;
  ultimate?: boolean;
}

export interface Mode {
  id: string;
  name: string;
  kind: "battle" | "raid" | "ritual" | string;
  teams?: number;
  team_size?: number;
  min_players?: number;
  max_players?: number;
  tick_hz: number;
  duration_ms: number;
  arenas: string[];
}

export interface Spot { x: number; y: number }
export interface Arena { id: string; name: string; width_cm: number; height_cm: number; spawns?: Spot[][]; hazard?: string }
export interface Raid { id: string; name: string; boss: string; width_cm: number; height_cm: number; phases: unknown[] }
export interface Sigil { x: number; y: number; gesture: number }
export interface Ritual { id: string; name: string; width_cm: number; height_cm: number; sigil_radius_cm: number; sigils: Sigil[]; sequence: number[] }
export interface Named { id: string; name: string; radius_cm?: number; kind?: string }
export interface Form { id: string; name: string; cooldown_ms: number; energy_cost: number }

/** The content document, as far as the page reads it. */
export interface Content {
  version: string;
  modes: Mode[];
  archetypes: Archetype[];
  abilities: Ability[];
  arenas: Arena[];
  raids: Raid[];
  rituals: Ritual[];
  hazards: Named[];
  npcs: Named[];
  pets: Named[];
  totems: Named[];
  forms: Form[];
  codex: Named[];
  codes: Record<string, { code: number; name: string }[]>;
}

/** A place to play: an arena, a raid or a ritual chamber. */
export interface Place {
  id: string;
  name: string;
  width: number;
  height: number;
  ritual?: Ritual;
  raid?: Raid;
  arena?: Arena;
}

/** places lists where mode is played. */
export function places(c: Content, mode: Mode): Place[] {
  const out: Place[] = [];
  for (const id of mode.arenas) {
    const a = c.arenas.find((x) => x.id === id);
    if (a) out.push({ id, name: a.name, width: a.width_cm, height: a.height_cm, arena: a });
    const r = c.raids.find((x) => x.id === id);
    if (r) out.push({ id, name: r.name, width: r.width_cm, height: r.height_cm, raid: r });
    const t = c.rituals.find((x) => x.id === id);
    if (t) out.push({ id, name: t.name, width: t.width_cm, height: t.height_cm, ritual: t });
  }
  return out;
}

/** codeName names code in table (e.g. "reasons"), or "#code". */
export function codeName(c: Content, table: string, code: number): string {
  return c.codes[table]?.find((x) => x.code === code)?.name ?? "#" + code;
}

/** pretty turns an id like "ritual_success" into "Ritual success". */
export function pretty(id: string): string {
  const s = id.replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}
