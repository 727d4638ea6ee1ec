// The one place the page imports the SDK from (sdk/js/src, bundled by
// esbuild with the page), plus the page's own calls to the /dev/ endpoints
// `pantheon dev` serves beside the lobby API (internal/devbots/page.go).

export * from "../../sdk/js/src/index.js";
import { LobbyClient, LobbyError } from "../../sdk/js/src/index.js";

/** A player's rating in one mode (GET /dev/rating). */
export interface Rating {
  mode: string;
  mu: number;
  sigma: number;
  matches: number;
}

/** One seat of a stored match. */
export interface StoredSeat {
  player_id: string;
  seat: number;
  team: number;
  result: string;
  kills: number;
  deaths: number;
  damage_dealt: number;
  healing: number;
  score: number;
  you: boolean;
}

/** A stored match as GET /dev/matches/{id} answers it. */
export interface StoredMatch {
  match_id: string;
  mode: string;
  arena: string;
  outcome: string;
  winning_team: number;
  ticks: number;
  duration_ms: number;
  ended_at: string;
  participants: StoredSeat[];
  rewards: { currency?: string; amount?: number; item_id?: string }[];
  codex: string[];
  rating: Rating;
}

/**
 * DevApi calls the dev-only endpoints with the lobby client's access token,
 * refreshing it once when it has expired.
 */
export class DevApi {
  constructor(private readonly lobby: LobbyClient) {}

  private async call<T>(method: string, path: string, body?: unknown, retried = false): Promise<T> {
    const tok = this.lobby.tokens;
    if (!tok) throw new LobbyError(401, "unauthorized", "not logged in");
    const headers: Record<string, string> = { authorization: "Bearer " + tok.access_token, accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    const resp = await fetch(this.lobby.baseUrl + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const parsed = await resp.json().catch(() => ({}));
    if (resp.ok) return parsed as T;
    if (resp.status === 401 && parsed.code === "token_expired" && !retried) {
      await this.lobby.refresh();
      return this.call<T>(method, path, body, true);
    }
    throw new LobbyError(resp.status, parsed.code ?? "http_" + resp.status, parsed.message ?? resp.statusText);
  }

  /** bots asks for n bots that queue for mode and play one match. */
  bots(mode: string, n: number): Promise<{ mode: string; bots: number }> {
    return this.call("POST", "/dev/bots", { mode, bots: n });
  }

  /** rating is the caller's rating in mode. */
  rating(mode: string): Promise<Rating> {
    return this.call("GET", "/dev/rating?mode=" + encodeURIComponent(mode));
  }

  /** match is the stored result of match id, waiting up to waitMs for it to be stored (null when it is not). */
  async match(id: string, waitMs = 10_000): Promise<StoredMatch | null> {
    try {
      return await this.call<StoredMatch>("GET", `/dev/matches/${encodeURIComponent(id)}?wait_ms=${waitMs}`);
    } catch (err) {
      if (err instanceof LobbyError && err.status === 404) return null;
      throw err;
    }
  }
}
