// The snapshot's update stream (PROTOCOL.md section 7.3): a bit stream of
// Exp-Golomb coded, zigzag differences.

import { ProtocolError } from "./errors.js";

/**
 * EntityRun is one entity of a snapshot: its id, the mask of the fields
 * sent (bit i = field i) and one value per set bit in ascending order:
 * absolute values for created entities, wrapping int32 differences for
 * updated ones.
 */
export interface EntityRun {
  id: number;
  mask: number;
  values: number[];
}

/** BitReader reads a byte array most significant bit first. */
export class BitReader {
  private pos = 0; // bit position
  private readonly nbits: number;
  constructor(private readonly buf: Uint8Array) {
    this.nbits = buf.byteLength * 8;
  }

  /** bitPos is the number of bits read so far. */
  get bitPos(): number {
    return this.pos;
  }

  /** bit reads one bit. */
  bit(): number {
    const p = this.pos;
    if (p >= this.nbits) throw new ProtocolError("update stream truncated");
    this.pos = p + 1;
    return (this.buf[p >>> 3] >>> (7 - (p & 7))) & 1;
  }

  /** bits reads n (0-32) bits as an unsigned integer, first bit most significant. */
  bits(n: number): number {
    if (this.pos + n > this.nbits) throw new ProtocolError("update stream truncated");
    let v = 0;
    let p = this.pos;
    const b = this.buf;
    // Whole bytes where aligned, single bits otherwise.
    while (n > 0) {
      const off = p & 7;
      const take = Math.min(8 - off, n);
      const byte = b[p >>> 3];
      const chunk = (byte >>> (8 - off - take)) & ((1 << take) - 1);
      v = v * (1 << take) + chunk;
      p += take;
      n -= take;
    }
    this.pos = p;
    return v;
  }

  /** eg reads an Exp-Golomb code of order k (0-31) for a value below 2^32. */
  eg(k: number): number {
    let z = 0;
    while (this.bit() === 0) {
      z++;
      if (z > 32 - k) throw new ProtocolError("Exp-Golomb code too long");
    }
    // The 1 bit just read is u's first bit; read the other z + k bits.
    const rest = z + k;
    let u: number;
    if (rest <= 32) {
      u = 2 ** rest + this.bits(rest);
    } else {
      const hi = this.bits(rest - 32);
      u = (2 ** (rest - 32) + hi) * 2 ** 32 + this.bits(32);
    }
    const v = u - 2 ** k;
    if (v > 0xffffffff) throw new ProtocolError("Exp-Golomb value over 2^32-1");
    return v;
  }

  /** checkEnd checks that only zero padding to the end of the last byte is left. */
  checkEnd(): void {
    const end = Math.ceil(this.pos / 8) * 8;
    if (end !== this.nbits) throw new ProtocolError("bytes after the update stream");
    while (this.pos < end) if (this.bit() !== 0) throw new ProtocolError("non-zero padding in the update stream");
  }
}

/** unzigzag maps 0, 1, 2, 3, 4, ... back to 0, -1, 1, -2, 2, ... (int32). */
export function unzigzag(z: number): number {
  return (z >>> 1) ^ -(z & 1);
}

/**
 * decodeUpdateStream decodes the `updated` bin of a snapshot into runs of
 * wrapping int32 differences, in ascending id order. maxEntities bounds the
 * count (what the snapshot's limit leaves).
 */
export function decodeUpdateStream(buf: Uint8Array, maxEntities: number): EntityRun[] {
  if (buf.byteLength === 0) return [];
  const r = new BitReader(buf);
  const count = r.eg(0) + 1;
  if (count > maxEntities) throw new ProtocolError(`update stream of ${count} entities over the snapshot's limit`);
  const union = r.eg(0);
  if (union === 0) throw new ProtocolError("update stream with no fields");
  // Fields of U in ascending order, with their orders.
  const fields: number[] = [];
  for (let f = 0; f < 32; f++) if ((union >>> f) & 1) fields.push(f);
  const orders = new Array<number>(fields.length);
  for (let i = 0; i < fields.length; i++) orders[i] = r.bits(5);
  const kID = r.bits(5);
  const nf = fields.length;
  const readMask = (): number => {
    let m = 0;
    for (let i = 0; i < nf; i++) if (r.bit()) m |= 1 << fields[i];
    return m >>> 0;
  };
  const def = readMask();
  const out: EntityRun[] = new Array(count);
  let prev = -1;
  for (let e = 0; e < count; e++) {
    const g = r.eg(kID);
    const id = e === 0 ? g : prev + g + 1;
    if (id > 0xffffffff) throw new ProtocolError("entity id overflows uint32");
    const mask = r.bit() ? readMask() : def;
    if (mask === 0) throw new ProtocolError(`updated entity ${id} with mask 0`);
    const values: number[] = [];
    for (let i = 0; i < nf; i++) {
      if ((mask >>> fields[i]) & 1) values.push(unzigzag(r.eg(orders[i])));
    }
    out[e] = { id, mask, values };
    prev = id;
  }
  r.checkEnd();
  return out;
}
