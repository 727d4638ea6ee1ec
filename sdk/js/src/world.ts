// The reconstructed world of one tick and snapshot application
// (PROTOCOL.md section 7.4).

import { BaselineError } from "./errors.js";
import type { SnapshotFrame } from "./protocol.js";
import { Field } from "./codes.js";

/** Fields per entity. */
export const FIELDS = 32;

/** EntityView is one entity of a World: its id and its 32 int32 fields (a view into the world; do not modify). */
export interface EntityView {
  id: number;
  fields: Int32Array;
}

/**
 * World is the reconstructed world at one tick: entities in ascending id
 * order, each with 32 int32 fields (PROTOCOL.md section 8's table: use the
 * Field constants). A World is immutable once built; applying a snapshot
 * makes a new one.
 */
export class World {
  /** The world's tick (0: the empty world before any snapshot). */
  readonly tick: number;
  /** Entity ids, ascending. */
  readonly ids: Uint32Array;
  /** Fields, FIELDS per entity, in the order of ids. */
  readonly fields: Int32Array;

  constructor(tick: number, ids: Uint32Array, fields: Int32Array) {
    this.tick = tick;
    this.ids = ids;
    this.fields = fields;
  }

  /** The empty world. */
  static readonly empty = new World(0, new Uint32Array(0), new Int32Array(0));

  /** size is the number of entities. */
  get size(): number {
    return this.ids.length;
  }

  /** indexOf returns the index of entity id, or -1. */
  indexOf(id: number): number {
    const ids = this.ids;
    let lo = 0;
    let hi = ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = ids[mid];
      if (v === id) return mid;
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** has reports whether entity id exists. */
  has(id: number): boolean {
    return this.indexOf(id) >= 0;
  }

  /** get returns entity id's fields (a view), or undefined. */
  get(id: number): Int32Array | undefined {
    const i = this.indexOf(id);
    return i < 0 ? undefined : this.fields.subarray(i * FIELDS, i * FIELDS + FIELDS);
  }

  /** field returns field f of entity id, or undefined when there is no such entity. */
  field(id: number, f: number): number | undefined {
    const i = this.indexOf(id);
    return i < 0 ? undefined : this.fields[i * FIELDS + f];
  }

  /** at returns the i-th entity (ascending id). */
  at(i: number): EntityView {
    return { id: this.ids[i], fields: this.fields.subarray(i * FIELDS, i * FIELDS + FIELDS) };
  }

  /** entities iterates over every entity in ascending id order. */
  *entities(): IterableIterator<EntityView> {
    for (let i = 0; i < this.ids.length; i++) yield this.at(i);
  }

  /** ofKind lists the entities whose field 0 (kind) is kind. */
  ofKind(kind: number): EntityView[] {
    const out: EntityView[] = [];
    for (let i = 0; i < this.ids.length; i++) if (this.fields[i * FIELDS + Field.Kind] === kind) out.push(this.at(i));
    return out;
  }

  /** toObject returns the world as `[id, {field: value}]` of its non-zero fields (the conformance vectors' form). */
  toObject(): [number, Record<string, number>][] {
    const out: [number, Record<string, number>][] = [];
    for (let i = 0; i < this.ids.length; i++) {
      const o: Record<string, number> = {};
      for (let f = 0; f < FIELDS; f++) {
        const v = this.fields[i * FIELDS + f];
        if (v !== 0) o[String(f)] = v;
      }
      out.push([this.ids[i], o]);
    }
    return out;
  }

  /** equals reports whether w has the same entities and fields (ticks aside). */
  equals(w: World): boolean {
    if (w.ids.length !== this.ids.length) return false;
    for (let i = 0; i < this.ids.length; i++) if (w.ids[i] !== this.ids[i]) return false;
    for (let i = 0; i < this.fields.length; i++) if (w.fields[i] !== this.fields[i]) return false;
    return true;
  }
}

/**
 * applySnapshot builds the world of s.tick from its baseline (the world of
 * tick s.tick - s.baseAge, or World.empty for a full snapshot): the
 * baseline's entities minus removed, with updated's differences added
 * (wrapping int32), plus created. A snapshot that disagrees with the
 * baseline (an updated or removed id it lacks, a created id it has, or an
 * id both updated and removed) throws a BaselineError.
 */
export function applySnapshot(base: World, s: SnapshotFrame): World {
  const want = s.baseAge === 0 ? 0 : s.tick - s.baseAge;
  if (s.baseAge !== 0 && base.tick !== want) throw new BaselineError(`snapshot ${s.tick} needs baseline ${want}, got ${base.tick}`);
  if (s.baseAge === 0) base = World.empty;
  const n = base.ids.length;
  const created = s.created;
  const updated = s.updated;
  const removed = s.removed;
  const total = n - removed.length + created.length;
  if (total < 0) throw new BaselineError(`snapshot ${s.tick} removes more entities than baseline ${want} has`);
  const ids = new Uint32Array(total);
  const fields = new Int32Array(total * FIELDS);
  const bf = base.fields;
  let i = 0; // baseline
  let c = 0; // created
  let r = 0; // removed
  let u = 0; // updated
  let o = 0; // out
  while (i < n || c < created.length) {
    const bid = i < n ? base.ids[i] : Infinity;
    const cid = c < created.length ? created[c].id : Infinity;
    if (cid < bid) {
      if (o >= total) throw new BaselineError(`snapshot ${s.tick} removes an entity that baseline ${want} lacks`);
      const run = created[c++];
      ids[o] = cid;
      const off = o * FIELDS;
      let m = run.mask;
      let j = 0;
      for (let f = 0; m !== 0; f++, m >>>= 1) if (m & 1) fields[off + f] = run.values[j++];
      o++;
      continue;
    }
    if (cid === bid) throw new BaselineError(`snapshot ${s.tick} creates entity ${cid} that baseline ${want} has`);
    // A baseline entity: removed, updated or kept.
    if (r < removed.length && removed[r] < bid) throw new BaselineError(`snapshot ${s.tick} removes entity ${removed[r]} that baseline ${want} lacks`);
    if (u < updated.length && updated[u].id < bid) throw new BaselineError(`snapshot ${s.tick} updates entity ${updated[u].id} that baseline ${want} lacks`);
    const isRemoved = r < removed.length && removed[r] === bid;
    const isUpdated = u < updated.length && updated[u].id === bid;
    if (isRemoved) {
      if (isUpdated) throw new BaselineError(`snapshot ${s.tick} updates and removes entity ${bid}`);
      r++;
      i++;
      continue;
    }
    if (o >= total) throw new BaselineError(`snapshot ${s.tick} removes an entity that baseline ${want} lacks`);
    ids[o] = bid;
    const off = o * FIELDS;
    const boff = i * FIELDS;
    for (let f = 0; f < FIELDS; f++) fields[off + f] = bf[boff + f]; // cheaper than set(subarray) per entity
    if (isUpdated) {
      const run = updated[u++];
      let m = run.mask;
      let j = 0;
      for (let f = 0; m !== 0; f++, m >>>= 1) if (m & 1) fields[off + f] = (fields[off + f] + run.values[j++]) | 0;
    }
    i++;
    o++;
  }
  if (r < removed.length) throw new BaselineError(`snapshot ${s.tick} removes entity ${removed[r]} that baseline ${want} lacks`);
  if (u < updated.length) throw new BaselineError(`snapshot ${s.tick} updates entity ${updated[u].id} that baseline ${want} lacks`);
  return new World(s.tick, ids, fields);
}

/**
 * BaselineRing keeps the last worlds a client applied, by tick, as the
 * baselines later deltas refer to (PROTOCOL.md 7.4 step 4).
 */
export class BaselineRing {
  private readonly worlds: World[] = [];
  constructor(readonly capacity = 32) {}

  /** latest is the newest world, or World.empty. */
  get latest(): World {
    return this.worlds.length > 0 ? this.worlds[this.worlds.length - 1] : World.empty;
  }

  /** get returns the world of tick, or undefined when it is no longer held. Tick 0 is the empty world. */
  get(tick: number): World | undefined {
    if (tick === 0) return World.empty;
    for (let i = this.worlds.length - 1; i >= 0; i--) {
      const w = this.worlds[i];
      if (w.tick === tick) return w;
      if (w.tick < tick) break;
    }
    return undefined;
  }

  /** push adds the world of a newer tick. */
  push(w: World): void {
    this.worlds.push(w);
    if (this.worlds.length > this.capacity) this.worlds.shift();
  }
}
