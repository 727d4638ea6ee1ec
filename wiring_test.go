package main

import (
	"flag"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/prometheus/client_golang/prometheus"
)

// TestDevWiringAgreesWithCommands: the room server and the lobby `pantheon
// dev` builds are the ones `pantheon room` and `pantheon lobby` build from
// their flags set to dev's defaults: the same builders, and no setting of
// dev's own but those the flags name. The flag lists below are dev's
// defaults; a setting dev changes without a flag here fails the test.
func TestDevWiringAgreesWithCommands(t *testing.T) {
	bundle, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dev := defaultDevOptions()
	dev.Room.OutboxDir = t.TempDir()
	const lobbyURL = "http://127.0.0.1:8080"
	devOrigins := strings.Join(devOrigins, ",")

	// The room server.
	ro := dev.roomOptions(lobbyURL)
	reg := prometheus.NewRegistry()
	got, err := ro.build(log, reg)
	if err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("room", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	flags := defaultRoomOptions()
	roomFlags(fs, &flags)
	if err := fs.Parse([]string{
		"--server-id", "dev-room", "--heartbeat", "1s", "--drain-timeout", "10s", "--flush-timeout", "10s",
		"--conns-per-ip", "65536", "--pending-per-addr", "256", "--pending-per-prefix", "256",
		"--lobby", lobbyURL, "--ws-origins", lobbyURL + "," + devOrigins,
		"--fleet-secret", dev.Room.Server.FleetSecret, "--outbox", dev.Room.OutboxDir,
	}); err != nil {
		t.Fatal(err)
	}
	want, err := flags.build(log, reg)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.TicketKey) != 32 || len(want.TicketKey) != 32 || string(got.TicketKey) == string(want.TicketKey) {
		t.Errorf("ticket keys %x and %x: want two random 32-byte keys", got.TicketKey, want.TicketKey)
	}
	got.TicketKey, want.TicketKey = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("dev's room server config differs from pantheon room's with dev's flags:\ndev:  %+v\nroom: %+v", got, want)
	}

	// The lobby.
	lo := dev.lobbyOptions(bundle)
	gotL, err := lo.build()
	if err != nil {
		t.Fatal(err)
	}
	fs = flag.NewFlagSet("lobby", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	lflags := defaultLobbyOptions()
	if err := lobbyFlags(fs, &lflags); err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse([]string{
		"--replica-id", "dev", "--jwt-key", dev.Lobby.JWTKey, "--fleet-secret", dev.Lobby.Lobby.FleetSecret,
		"--limit-per-ip", "5000/5000", "--limit-login-per-ip", "2000/2000",
		"--content-version", bundle.Version(), "--cors-origins", devOrigins,
	}); err != nil {
		t.Fatal(err)
	}
	wantL, err := lflags.build()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotL, wantL) {
		t.Errorf("dev's lobby config differs from pantheon lobby's with dev's flags:\ndev:   %+v\nlobby: %+v", gotL, wantL)
	}
	if lo.Addr != lflags.Addr || lo.AdminAddr != lflags.AdminAddr || lo.Redis != "" || lo.DevProviderSecret != "" {
		t.Errorf("dev's lobby listens on %s/%s (redis %q, dev provider %q), pantheon lobby by default on %s/%s",
			lo.Addr, lo.AdminAddr, lo.Redis, lo.DevProviderSecret, lflags.Addr, lflags.AdminAddr)
	}
	if dev.Lobby.Lobby.FleetSecret != dev.Room.Server.FleetSecret || len(dev.Lobby.Lobby.FleetSecret) < 32 || len(dev.Lobby.JWTKey) < 32 {
		t.Errorf("dev's secrets: fleet %q / %q, jwt key %q", dev.Lobby.Lobby.FleetSecret, dev.Room.Server.FleetSecret, dev.Lobby.JWTKey)
	}
}

// TestDevFlags: `pantheon dev`'s flags set the options its builders read,
// and an empty origin list is no extra origin (not dev's default).
func TestDevFlags(t *testing.T) {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := defaultDevOptions()
	run := devFlags(fs, &o)
	if err := fs.Parse([]string{"--lobby", "127.0.0.1:1", "--lobby-admin", "", "--kcp", "127.0.0.1:2", "--ws", "127.0.0.1:3",
		"--admin", "127.0.0.1:4", "--db", "sqlite:x.db", "--outbox", "ob", "--cors-origins", "", "--ws-origins", "https://a.example",
		"--bots", "0", "--once"}); err != nil {
		t.Fatal(err)
	}
	c := o.Room.Server
	if o.Lobby.Addr != "127.0.0.1:1" || o.Lobby.AdminAddr != "" || c.KCPAddr != "127.0.0.1:2" || c.WSAddr != "127.0.0.1:3" ||
		c.AdminAddr != "127.0.0.1:4" || o.DB != "sqlite:x.db" || o.Room.OutboxDir != "ob" || run.bots != 0 || !run.once {
		t.Fatalf("options %+v, run %+v", o, run)
	}
	if len(o.Lobby.Lobby.CORSOrigins) != 0 || !reflect.DeepEqual(o.roomOptions("http://l").Server.AllowedOrigins, []string{"http://l", "https://a.example"}) {
		t.Fatalf("cors %q, ws %q", o.Lobby.Lobby.CORSOrigins, o.roomOptions("http://l").Server.AllowedOrigins)
	}
}
