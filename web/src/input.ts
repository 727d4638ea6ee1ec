// Keyboard, mouse and touch input of a match: a movement vector in permille
// of full speed (PROTOCOL.md: length at most 1000), an aim point in world
// centimetres, and actions (cast a slot, channel, gesture).

/** A point in world centimetres. */
export interface Point {
  x: number;
  y: number;
}

const moveKeys: Record<string, [number, number]> = {
  KeyW: [0, 1], ArrowUp: [0, 1], KeyS: [0, -1], ArrowDown: [0, -1],
  KeyA: [-1, 0], ArrowLeft: [-1, 0], KeyD: [1, 0], ArrowRight: [1, 0],
};

/** The wire's cast slot of a shapeshift (EVENTS.md, Inputs). */
export const shapeshiftSlot = 4;

/** Full speed on the wire. */
const fullSpeed = 1000;

/**
 * Controls turns the player's devices into intents. Keyboard: WASD or the
 * arrows move, the mouse aims, 1-4 cast, 5 or F shapeshift, Space (held)
 * channels, G makes the gesture. Touch: a virtual stick moves; the HUD's buttons act.
 */
export class Controls {
  /** Called with the slot to cast: 0-3, or shapeshiftSlot. */
  onSlot: (slot: number) => void = () => {};
  /** Called when channelling starts or stops. */
  onChannel: (on: boolean) => void = () => {};
  /** Called to make the current sigil's gesture. */
  onGesture: () => void = () => {};

  private readonly keys = new Set<string>();
  private stick: Point | null = null; // -1..1 per axis, y up
  private stickPointer = -1;
  private mouse: { x: number; y: number; at: number } | null = null;
  private channelHeld = false;
  private channelToggled = false;
  private readonly off: Array<() => void> = [];

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly stickEl: HTMLElement,
    private readonly knob: HTMLElement,
    private readonly toWorld: (sx: number, sy: number) => Point,
  ) {
    const on = <K extends keyof WindowEventMap>(t: EventTarget, type: K, fn: (e: WindowEventMap[K]) => void, opts?: AddEventListenerOptions) => {
      t.addEventListener(type, fn as EventListener, opts);
      this.off.push(() => t.removeEventListener(type, fn as EventListener, opts));
    };
    on(window, "keydown", (e) => this.key(e, true));
    on(window, "keyup", (e) => this.key(e, false));
    on(window, "blur", () => {
      this.keys.clear();
      this.setChannelHeld(false);
    });
    on(canvas, "pointermove", (e) => {
      if (e.pointerType === "mouse") this.mouse = { x: e.offsetX, y: e.offsetY, at: performance.now() };
    });
    on(canvas, "pointerleave", () => (this.mouse = null));
    on(window, "touchstart", () => document.body.classList.add("touch"), { passive: true });
    on(stickEl, "pointerdown", (e) => {
      this.stickPointer = e.pointerId;
      stickEl.setPointerCapture(e.pointerId);
      this.moveStick(e);
    });
    on(stickEl, "pointermove", (e) => {
      if (e.pointerId === this.stickPointer) this.moveStick(e);
    });
    const release = (e: PointerEvent) => {
      if (e.pointerId !== this.stickPointer) return;
      this.stickPointer = -1;
      this.stick = null;
      this.knob.style.transform = "";
    };
    on(stickEl, "pointerup", release);
    on(stickEl, "pointercancel", release);
  }

  /** detach removes every listener. */
  detach(): void {
    for (const f of this.off.splice(0)) f();
    this.keys.clear();
  }

  /** toggleChannel flips channelling (the touch button). */
  toggleChannel(): void {
    this.channelToggled = !this.channelToggled;
    this.onChannel(this.channelHeld || this.channelToggled);
  }

  private setChannelHeld(on: boolean): void {
    if (on === this.channelHeld) return;
    this.channelHeld = on;
    this.onChannel(this.channelHeld || this.channelToggled);
  }

  private key(e: KeyboardEvent, down: boolean): void {
    const t = e.target as HTMLElement | null;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA")) return;
    if (moveKeys[e.code]) {
      e.preventDefault();
      if (down) this.keys.add(e.code);
      else this.keys.delete(e.code);
      return;
    }
    if (e.code === "Space" || e.code === "KeyE") {
      e.preventDefault();
      this.setChannelHeld(down);
      return;
    }
    if (!down || e.repeat) return;
    const m = /^(Digit|Numpad)([1-5])$/.exec(e.code);
    if (m || e.code === "KeyF") {
      e.preventDefault();
      this.onSlot(m ? Number(m[2]) - 1 : shapeshiftSlot);
    } else if (e.code === "KeyG" || e.code === "KeyQ") {
      e.preventDefault();
      this.onGesture();
    }
  }

  private moveStick(e: PointerEvent): void {
    const r = this.stickEl.getBoundingClientRect();
    const rad = r.width / 2;
    let dx = (e.clientX - (r.left + rad)) / rad;
    let dy = -(e.clientY - (r.top + rad)) / rad;
    const len = Math.hypot(dx, dy);
    if (len > 1) [dx, dy] = [dx / len, dy / len];
    this.stick = { x: dx, y: dy };
    this.knob.style.transform = `translate(${dx * rad * 0.6}px, ${-dy * rad * 0.6}px)`;
  }

  /** move is the movement vector, each axis -1000..1000, length at most 1000. */
  move(): Point {
    let x = 0, y = 0;
    if (this.stick) [x, y] = [this.stick.x, this.stick.y];
    else for (const k of this.keys) [x, y] = [x + moveKeys[k][0], y + moveKeys[k][1]];
    const len = Math.hypot(x, y);
    if (len > 1) [x, y] = [x / len, y / len];
    // Truncate (not round) so a diagonal stays within 1000: 707, 707.
    return { x: Math.trunc(x * fullSpeed), y: Math.trunc(y * fullSpeed) };
  }

  /** aim is the mouse's world point while the mouse was used in the last 3 s, else null. */
  aim(): Point | null {
    if (!this.mouse || performance.now() - this.mouse.at > 3000) return null;
    return this.toWorld(this.mouse.x, this.mouse.y);
  }
}
