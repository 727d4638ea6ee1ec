package main

// These blank imports pin the project's chosen dependencies in go.mod while
// the packages that use them are being built in parallel. Remove each line
// once a package imports the module for real.
import (
	_ "github.com/golang-jwt/jwt/v5"
	_ "github.com/gorilla/websocket"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/pkg/profile"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/redis/go-redis/v9"
	_ "github.com/vmihailenco/msgpack/v5"
	_ "github.com/xtaci/kcp-go/v5"
	_ "github.com/yohamta/donburi"
	_ "golang.org/x/time/rate"
	_ "golang.org/x/tools/go/analysis"
	_ "modernc.org/sqlite"
)
