package server

import "errors"

// ErrContentVersion: the request names a content version other than the one
// this server runs. The control API answers 400 content_version_mismatch.
var ErrContentVersion = errors.New("server: content version mismatch")
