/**
 * The subset of the WHATWG WebSocket the SDK uses. Browsers' native
 * `WebSocket` and the `ws` package's `WebSocket` (Node) both satisfy it.
 */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  binaryType: string;
  send(data: string | Uint8Array | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: any) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: any) => void) | null;
}

/** A WebSocket constructor: `WebSocket` in a browser, `ws`'s `WebSocket` in Node. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** WebSocket ready state "open". */
export const WS_OPEN = 1;

/**
 * resolveWebSocket returns the given constructor, or the global `WebSocket`
 * (browsers, Node 22+), or throws when there is none (Node 20: pass `ws`).
 */
export function resolveWebSocket(ctor?: WebSocketConstructor): WebSocketConstructor {
  if (ctor) return ctor;
  const g = (globalThis as any).WebSocket;
  if (typeof g === "function") return g as WebSocketConstructor;
  throw new Error("pantheon: no global WebSocket; pass one in the options (in Node 20: `import { WebSocket } from \"ws\"`)");
}

/** toBytes turns a binary WebSocket message's data into a Uint8Array, or returns null for text. */
export function toBytes(data: unknown): Uint8Array | null {
  if (data instanceof Uint8Array) return data; // ws with binaryType "nodebuffer" (a Buffer)
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data)) {
    // ws "fragments" binary type: concatenate.
    const parts = data as Uint8Array[];
    let n = 0;
    for (const p of parts) n += p.byteLength;
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.byteLength;
    }
    return out;
  }
  return null;
}
