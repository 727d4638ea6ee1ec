// Clock sync from pings and pongs (PROTOCOL.md section 9).

/** ClockSample is one pong's measurement, in microseconds. */
export interface ClockSample {
  rttUs: number;
  /** Server clock minus client clock. */
  offsetUs: number;
}

/**
 * ClockSync estimates the round-trip time (exponential average, gain 1/8),
 * the server clock's offset (that of the lowest-rtt sample among the last 8)
 * and the server's current tick.
 */
export class ClockSync {
  /** Smoothed round-trip time, µs (0 before the first pong). */
  rttUs = 0;
  /** Server clock minus client clock, µs. */
  offsetUs = 0;
  /** Pongs seen. */
  samples = 0;
  private readonly recent: ClockSample[] = [];
  private lastServerTick = 0;
  private lastPongUs = 0;
  private lastRttUs = 0;

  /**
   * observe records a pong that arrived at client time t1Us for a ping sent
   * at t0Us, which the server answered at serverTick / serverTimeUs.
   */
  observe(t0Us: number, t1Us: number, serverTick: number, serverTimeUs: number): ClockSample {
    const rttUs = Math.max(0, t1Us - t0Us);
    const offsetUs = serverTimeUs + rttUs / 2 - t1Us;
    this.rttUs = this.samples === 0 ? rttUs : this.rttUs + (rttUs - this.rttUs) / 8;
    this.samples++;
    this.recent.push({ rttUs, offsetUs });
    if (this.recent.length > 8) this.recent.shift();
    let best = this.recent[0];
    for (const s of this.recent) if (s.rttUs < best.rttUs) best = s;
    this.offsetUs = best.offsetUs;
    this.lastServerTick = serverTick;
    this.lastPongUs = t1Us;
    this.lastRttUs = rttUs;
    return { rttUs, offsetUs };
  }

  /** serverTimeUs estimates the server's clock at client time nowUs. */
  serverTimeUs(nowUs: number): number {
    return nowUs + this.offsetUs;
  }

  /**
   * serverTick estimates the server's tick (fractional) at client time nowUs:
   * the last pong's server_tick + (rtt/2 + time since the pong) * tickRate.
   * It returns 0 before the first pong or while the room waits (tick 0).
   */
  serverTick(nowUs: number, tickRate: number): number {
    if (this.samples === 0 || this.lastServerTick === 0) return 0;
    return this.lastServerTick + ((this.lastRttUs / 2 + (nowUs - this.lastPongUs)) * tickRate) / 1e6;
  }
}

/** nowUs is a microsecond clock: Unix epoch based where performance.timeOrigin exists, monotonic within a page. */
export function nowUs(): number {
  const p = (globalThis as any).performance;
  if (p && typeof p.now === "function") return Math.round((p.timeOrigin ?? 0) * 1000 + p.now() * 1000);
  return Date.now() * 1000;
}
