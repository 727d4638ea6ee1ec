// The Pantheon TypeScript SDK: lobby client, room session, interpolation
// and every wire code. See README.md.

export * from "./codes.js";
export * from "./errors.js";
export * from "./lobby.js";
export * from "./protocol.js";
export * from "./updates.js";
export * from "./world.js";
export * from "./websocket.js";
export * from "./clock.js";
export * from "./session.js";
export * from "./interpolation.js";
