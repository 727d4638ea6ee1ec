// Rendering between snapshots.

import { Field } from "./codes.js";
import { FIELDS, type World } from "./world.js";

/** InterpolatedEntity is one entity as drawn at a fractional tick. */
export interface InterpolatedEntity {
  id: number;
  /** Position, centimetres (interpolated). */
  x: number;
  y: number;
  /** Facing in 1/256 turns, 0 <= facing < 256 (interpolated the short way round). */
  facing: number;
  /** Every field of the older of the two snapshots (discrete state: hp, status, kind, ...). */
  fields: Int32Array;
}

/** Options of an InterpolationBuffer. */
export interface InterpolationOptions {
  /** Worlds kept. Default 64. */
  capacity?: number;
  /** A move longer than this between two snapshots (cm) is a teleport: no interpolation. Default 800. */
  teleportCm?: number;
}

/**
 * InterpolationBuffer holds recent worlds and samples them at a fractional
 * tick for rendering: positions and facing interpolate linearly between the
 * two worlds around the tick, everything else is the older world's. Render
 * a little in the past (e.g. session.estimatedServerTick() - 2 ticks, or
 * - tickRate * 0.1 for 100 ms) so a snapshot is usually there on both sides;
 * past the newest world the sample holds it (no extrapolation).
 */
export class InterpolationBuffer {
  private readonly worlds: World[] = [];
  private readonly capacity: number;
  private readonly teleport2: number;

  constructor(opts: InterpolationOptions = {}) {
    this.capacity = Math.max(2, opts.capacity ?? 64);
    const t = opts.teleportCm ?? 800;
    this.teleport2 = t * t;
  }

  /** push adds a world; older or equal ticks than the newest are ignored. */
  push(w: World): void {
    const n = this.worlds.length;
    if (n > 0 && w.tick <= this.worlds[n - 1].tick) return;
    this.worlds.push(w);
    if (this.worlds.length > this.capacity) this.worlds.shift();
  }

  /** The newest world's tick (0 when empty). */
  get newestTick(): number {
    return this.worlds.length ? this.worlds[this.worlds.length - 1].tick : 0;
  }

  /** The oldest world's tick (0 when empty). */
  get oldestTick(): number {
    return this.worlds.length ? this.worlds[0].tick : 0;
  }

  /** clear forgets every world (e.g. for a new match). */
  clear(): void {
    this.worlds.length = 0;
  }

  /**
   * bracket returns the two worlds around tick and the fraction between
   * them (a === b with alpha 0 at or outside the ends), or null when empty.
   */
  bracket(tick: number): { a: World; b: World; alpha: number } | null {
    const ws = this.worlds;
    if (ws.length === 0) return null;
    if (tick <= ws[0].tick) return { a: ws[0], b: ws[0], alpha: 0 };
    const last = ws[ws.length - 1];
    if (tick >= last.tick) return { a: last, b: last, alpha: 0 };
    let i = ws.length - 2;
    while (i > 0 && ws[i].tick > tick) i--;
    const a = ws[i];
    const b = ws[i + 1];
    return { a, b, alpha: (tick - a.tick) / (b.tick - a.tick) };
  }

  /**
   * sample returns every entity of the world at or before tick, placed
   * between it and the next world. Entities only in the next world appear
   * when it is reached.
   */
  sample(tick: number): InterpolatedEntity[] {
    const br = this.bracket(tick);
    if (!br) return [];
    const { a, b, alpha } = br;
    const out: InterpolatedEntity[] = new Array(a.size);
    const af = a.fields;
    const bf = b.fields;
    let j = 0; // walks b's ids alongside a's (both ascending)
    for (let i = 0; i < a.size; i++) {
      const id = a.ids[i];
      const off = i * FIELDS;
      let x = af[off + Field.X];
      let y = af[off + Field.Y];
      let facing = af[off + Field.Facing] & 255;
      if (alpha > 0) {
        while (j < b.size && b.ids[j] < id) j++;
        if (j < b.size && b.ids[j] === id) {
          const boff = j * FIELDS;
          const bx = bf[boff + Field.X];
          const by = bf[boff + Field.Y];
          const dx = bx - x;
          const dy = by - y;
          if (dx * dx + dy * dy <= this.teleport2) {
            x += dx * alpha;
            y += dy * alpha;
          }
          let df = ((bf[boff + Field.Facing] & 255) - facing) & 255;
          if (df > 128) df -= 256;
          facing = (((facing + df * alpha) % 256) + 256) % 256;
        }
      }
      out[i] = { id, x, y, facing, fields: af.subarray(off, off + FIELDS) };
    }
    return out;
  }
}
