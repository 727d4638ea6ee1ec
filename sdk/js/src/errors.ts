/** ProtocolError is a frame that breaks PROTOCOL.md: the session must be dropped (and may be resumed). */
export class ProtocolError extends Error {
  constructor(message: string) {
    super("pantheon protocol: " + message);
    this.name = "ProtocolError";
  }
}

/** BaselineError: a snapshot disagrees with its baseline (PROTOCOL.md 7.4 step 3); drop the session and resume. */
export class BaselineError extends Error {
  constructor(message: string) {
    super("pantheon baseline: " + message);
    this.name = "BaselineError";
  }
}
