// Package origin is the browser origin allow-list shared by the lobby's
// CORS handling and the room server's WebSocket upgrade. An entry is "*"
// (any origin), an exact origin ("https://play.example.com",
// "http://127.0.0.1:8080"), or an origin with any port
// ("http://localhost:*"). Origins compare case-insensitively in scheme and
// host, as browsers serialise them in lower case.
//
//	p, err := origin.Parse([]string{"https://play.example.com", "http://localhost:*"})
//	if err != nil { ... }
//	p.Allows("http://localhost:5173") // true
//	p.Allows("https://evil.example")  // false
package origin
