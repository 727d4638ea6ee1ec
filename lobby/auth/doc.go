// Package auth issues and checks the lobby's credentials: short-lived access
// JWTs (HS256 only, issuer and audience checked, a session id bound in) and
// opaque rotating refresh tokens, and verifies platform identities through
// Provider implementations.
//
//	tok, _ := auth.NewTokens(auth.Config{Key: key, Issuer: "pantheon-lobby", Audience: "pantheon"})
//	access, exp, _ := tok.IssueAccess("p_1", "s_1", time.Now())
//	claims, err := tok.VerifyAccess(access, time.Now()) // claims.PlayerID == "p_1"
//	refresh, hash, _ := auth.NewRefresh("s_1")          // store hash, hand refresh to the client
//
// Providers: DevProvider (tests and development only), SteamProvider
// (session tickets through the Steam Web API) and OIDCProvider (Google and
// Apple ID tokens through go-oidc, discovery on first use) and
// DiscordProvider (OAuth2 code exchange, then users/@me). Each refuses a
// bad credential with ErrBadCredential and reports a platform it cannot
// reach with ErrUnavailable. The lobby links a proven identity to a player;
// linking an identity already linked to another player is refused (409
// identity_taken): accounts are never merged.
//
// Refresh-token families (rotation, reuse detection) are kept by
// persistence.RefreshTokens; revocation of live sessions by the lobby's state
// store. This package holds no state.
package auth
