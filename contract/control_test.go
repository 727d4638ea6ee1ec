package contract_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs"
)

var rewrite = flag.Bool("rewrite", false, "rewrite testdata/*.json from the messages in control_test.go")

// message is one golden control API body: testdata/<name>.json holds its
// wire JSON (indented; the wire form is the same bytes compacted).
type message struct {
	name string
	v    any
	// sparse: the message leaves optional fields out on purpose; otherwise
	// every field must be set, so that none is invisible to the round trip.
	sparse bool
}

var expires = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func roomSpec() contract.RoomSpec {
	return contract.RoomSpec{MatchID: "m_01J", Mode: "battle_1v1", Arena: "leviathan", ContentVersion: "c1-abc",
		Seed: 1234567890123, Seats: []contract.SeatSpec{
			{Seat: 0, PlayerID: "p_1", Team: 0, TicketID: "t_1", Oracle: ecs.OracleSpec{Archetype: "aries", Role: "host",
				Loadout: []string{"ember_strike", "ram_charge"}, Pet: "salamander", Form: "ram", Totem: "flame"}},
			{Seat: 1, PlayerID: "p_2", Team: 1, TicketID: "t_2", Oracle: ecs.OracleSpec{Archetype: "leo", Role: "friend",
				Loadout: []string{"solar_roar"}, Pet: "lion_cub", Form: "lion", Totem: "sun"}},
		}}
}

func messages() []message {
	heartbeat := contract.Heartbeat{ServerID: "room-7", ControlURL: "http://10.0.0.5:7002", KCPAddr: "203.0.113.7:7000",
		WSURL: "ws://203.0.113.7:7001/v1/play", Region: "eu", ContentVersion: "c1-abc", MaxRooms: 256,
		Rooms: 12, Players: 80, TickP99Ms: 0.8, Draining: true, Seq: 41,
		MatchesEnded: []contract.EndedMatch{
			{MatchID: "m_1", Outcome: contract.OutcomeTeamWin, Reason: contract.ReasonMatchOver,
				Players: []string{"p_1", "p_2"}, Tickets: []string{"t_1", "t_2"}},
			{MatchID: "m_2", Outcome: contract.OutcomeAborted, Reason: contract.ReasonServerRestart,
				Players: []string{"p_3"}, Tickets: []string{"t_3"}},
		}}
	idle := heartbeat
	idle.Draining, idle.Rooms, idle.Players, idle.TickP99Ms, idle.MatchesEnded = false, 0, 0, 0, nil
	minimal := roomSpec()
	minimal.Arena, minimal.ContentVersion = "", ""
	for i := range minimal.Seats {
		minimal.Seats[i].TicketID = ""
		minimal.Seats[i].Oracle = ecs.OracleSpec{Archetype: minimal.Seats[i].Oracle.Archetype, Role: minimal.Seats[i].Oracle.Role}
	}
	return []message{
		{name: "room_spec", v: roomSpec()},
		{name: "room_spec_minimal", v: minimal, sparse: true},
		{name: "room_created", v: contract.RoomCreated{RoomID: "r_9", MatchID: "m_01J", KCPAddr: "203.0.113.7:7000",
			WSURL: "ws://203.0.113.7:7001/v1/play", Seats: []contract.SeatTicket{
				{Seat: 0, PlayerID: "p_1", Ticket: "eyJ.join.p1", ExpiresAt: expires, KCPKey: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="},
				{Seat: 1, PlayerID: "p_2", Ticket: "eyJ.join.p2", ExpiresAt: expires, KCPKey: "HxwdHhscGxoZGBcWFRQTEhEQDw4NDAsKCQgHBgUEAwI="},
			}}},
		{name: "room_created_plaintext", sparse: true, v: contract.RoomCreated{RoomID: "r_9", MatchID: "m_01J",
			WSURL: "ws://203.0.113.7:7001/v1/play", Seats: []contract.SeatTicket{
				{Seat: 0, PlayerID: "p_1", Ticket: "eyJ.join.p1", ExpiresAt: expires},
			}}},
		{name: "room_list", v: contract.RoomList{Rooms: []contract.RoomSummary{
			{RoomID: "r_9", MatchID: "m_01J", Mode: "battle_1v1", State: "running", Players: 2, Tick: 1800},
		}}},
		{name: "room_list_empty", sparse: true, v: contract.RoomList{Rooms: []contract.RoomSummary{}}},
		{name: "control_error", v: contract.ControlError{Code: contract.CodeMatchExists,
			Message: "match m_01J exists as room r_9 with a different spec"}},
		{name: "heartbeat", v: heartbeat},
		{name: "heartbeat_idle", v: idle, sparse: true},
	}
}

// TestControlGolden: every control API body marshals to the bytes of its
// testdata/<name>.json (compacted), and the golden file decodes, with
// unknown fields refused, back to the same value. Run with -rewrite to
// regenerate the files after a deliberate wire change (and say so in
// server/CONTROL_API.md).
func TestControlGolden(t *testing.T) {
	names := map[string]bool{}
	for _, m := range messages() {
		t.Run(m.name, func(t *testing.T) {
			names[m.name+".json"] = true
			wire, err := json.Marshal(m.v)
			if err != nil {
				t.Fatal(err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, wire, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			path := filepath.Join("testdata", m.name+".json")
			if *rewrite {
				if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			golden, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -rewrite to create it)", err)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, golden); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if !bytes.Equal(wire, compact.Bytes()) {
				t.Fatalf("%T marshals to\n%s\nbut %s holds\n%s\n(run with -rewrite if the change is deliberate)", m.v, wire, path, compact.Bytes())
			}
			if !bytes.Equal(pretty.Bytes(), golden) {
				t.Fatalf("%s is not in the layout -rewrite writes", path)
			}

			back := reflect.New(reflect.TypeOf(m.v))
			dec := json.NewDecoder(bytes.NewReader(golden))
			dec.DisallowUnknownFields()
			if err := dec.Decode(back.Interface()); err != nil {
				t.Fatalf("%s does not decode into %T: %v", path, m.v, err)
			}
			if got := back.Elem().Interface(); !reflect.DeepEqual(got, m.v) {
				t.Fatalf("%s decodes to\n%#v\nwant\n%#v", path, got, m.v)
			}
			if !m.sparse {
				if zero := zeroFields(reflect.ValueOf(m.v), reflect.TypeOf(m.v).Name()); len(zero) > 0 {
					t.Fatalf("%s leaves fields unset, so the round trip cannot see them: %s", m.name, strings.Join(zero, ", "))
				}
			}
		})
	}
	// No golden file without its message (a renamed message would leave a
	// stale file behind).
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, f := range files {
		if !names[filepath.Base(f)] {
			t.Errorf("%s has no message in control_test.go", f)
		}
	}
}

// zeroFields lists the fields of v's type that are zero everywhere in v: a
// field under a slice counts as set when any element sets it (seat 0 and
// team 0 beside seat 1 and team 1).
func zeroFields(v reflect.Value, path string) []string {
	all, set := map[string]bool{}, map[string]bool{}
	leaves(v.Type(), path, all)
	setLeaves(v, path, set)
	var out []string
	for p := range all {
		if !set[p] {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

var timeType = reflect.TypeOf(time.Time{})

// leaves adds the path of every leaf field of t.
func leaves(t reflect.Type, path string, out map[string]bool) {
	switch {
	case t.Kind() == reflect.Struct && t != timeType:
		for i := range t.NumField() {
			leaves(t.Field(i).Type, path+"."+t.Field(i).Name, out)
		}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		leaves(t.Elem(), path+"[]", out)
	default:
		out[path] = true
	}
}

// setLeaves adds the path of every non-zero leaf of v.
func setLeaves(v reflect.Value, path string, out map[string]bool) {
	switch {
	case v.Kind() == reflect.Struct && v.Type() != timeType:
		for i := range v.NumField() {
			setLeaves(v.Field(i), path+"."+v.Type().Field(i).Name, out)
		}
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct:
		for i := range v.Len() {
			setLeaves(v.Index(i), path+"[]", out)
		}
	case !v.IsZero() && (v.Kind() != reflect.Slice || v.Len() > 0):
		out[path] = true
	}
}

func TestRoomSpecValidate(t *testing.T) {
	if err := roomSpec().Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*contract.RoomSpec){
		"no match id":    func(s *contract.RoomSpec) { s.MatchID = "" },
		"long match id":  func(s *contract.RoomSpec) { s.MatchID = strings.Repeat("m", 129) },
		"no mode":        func(s *contract.RoomSpec) { s.Mode = "" },
		"no seats":       func(s *contract.RoomSpec) { s.Seats = nil },
		"too many seats": func(s *contract.RoomSpec) { s.Seats = make([]contract.SeatSpec, contract.MaxSeats+1) },
		"negative seat":  func(s *contract.RoomSpec) { s.Seats[0].Seat = -1 },
		"seat past max":  func(s *contract.RoomSpec) { s.Seats[1].Seat = contract.MaxSeats },
		"no player":      func(s *contract.RoomSpec) { s.Seats[1].PlayerID = "" },
		"seat twice":     func(s *contract.RoomSpec) { s.Seats[1].Seat = 0 },
		"player twice":   func(s *contract.RoomSpec) { s.Seats[1].PlayerID = "p_1" },
		"long player id": func(s *contract.RoomSpec) { s.Seats[0].PlayerID = strings.Repeat("p", 129) },
	} {
		s := roomSpec()
		mod(&s)
		if err := s.Validate(); !errors.Is(err, contract.ErrBadSpec) {
			t.Errorf("%s: %v, want ErrBadSpec", name, err)
		}
	}
}

func TestRoomSpecPlayersAndTickets(t *testing.T) {
	s := roomSpec()
	s.Seats = append(s.Seats, contract.SeatSpec{Seat: 2, PlayerID: "p_3", TicketID: "t_1"}, contract.SeatSpec{Seat: 3, PlayerID: "p_4"})
	if got := s.Players(); !slices.Equal(got, []string{"p_1", "p_2", "p_3", "p_4"}) {
		t.Errorf("players %v", got)
	}
	if got := s.Tickets(); !slices.Equal(got, []string{"t_1", "t_2"}) {
		t.Errorf("tickets %v: want each party's ticket once, no empty one", got)
	}
}

func TestRoomCreatedCheck(t *testing.T) {
	req := roomSpec()
	good := contract.RoomCreated{RoomID: "r_1", WSURL: "ws://x/v1/play", Seats: []contract.SeatTicket{
		{Seat: 0, PlayerID: "p_1", Ticket: "a"}, {Seat: 1, PlayerID: "p_2", Ticket: "b"}}}
	if err := good.Check(req); err != nil {
		t.Fatal(err)
	}
	if st, ok := good.Ticket("p_2"); !ok || st.Ticket != "b" {
		t.Fatalf("ticket of p_2: %+v %v", st, ok)
	}
	noRoom := good
	noRoom.RoomID = ""
	noEndpoint := good
	noEndpoint.WSURL = ""
	missing := good
	missing.Seats = []contract.SeatTicket{{Seat: 0, PlayerID: "p_1", Ticket: "a"}, {Seat: 1, PlayerID: "p_2"}}
	for name, r := range map[string]contract.RoomCreated{"no room id": noRoom, "no endpoint": noEndpoint, "empty ticket": missing} {
		if err := r.Check(req); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestHeartbeatValidate(t *testing.T) {
	good := contract.Heartbeat{ServerID: "room-1", ControlURL: "http://127.0.0.1:1", KCPAddr: "x:1", MaxRooms: 10,
		MatchesEnded: []contract.EndedMatch{{MatchID: "m_1", Outcome: contract.OutcomeDraw, Reason: contract.ReasonMatchOver}}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*contract.Heartbeat){
		"no id":           func(s *contract.Heartbeat) { s.ServerID = "" },
		"space in id":     func(s *contract.Heartbeat) { s.ServerID = "room 1" },
		"no capacity":     func(s *contract.Heartbeat) { s.MaxRooms = 0 },
		"negative":        func(s *contract.Heartbeat) { s.Players = -1 },
		"no endpoints":    func(s *contract.Heartbeat) { s.KCPAddr, s.WSURL = "", "" },
		"bad control":     func(s *contract.Heartbeat) { s.ControlURL = "ftp://x" },
		"unknown outcome": func(s *contract.Heartbeat) { s.MatchesEnded = []contract.EndedMatch{{MatchID: "m", Outcome: "won"}} },
		"no match id":     func(s *contract.Heartbeat) { s.MatchesEnded = []contract.EndedMatch{{Outcome: contract.OutcomeDraw}} },
		"too many ended": func(s *contract.Heartbeat) {
			s.MatchesEnded = slices.Repeat(s.MatchesEnded, contract.MaxEndedPerHeartbeat+1)
		},
		"too many tickets": func(s *contract.Heartbeat) {
			s.MatchesEnded[0].Tickets = make([]string, contract.MaxTicketsPerEnded+1)
		},
	} {
		s := good
		s.MatchesEnded = slices.Clone(good.MatchesEnded)
		mod(&s)
		if err := s.Validate(); !errors.Is(err, contract.ErrBadHeartbeat) {
			t.Errorf("%s: %v, want ErrBadHeartbeat", name, err)
		}
	}
}
