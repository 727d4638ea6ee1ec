package sqlstore

import (
	"reflect"
	"testing"
	"time"
)

func TestPGArrays(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rows := [][]any{
		{"a", 1, int64(2), 0.5, at, []byte{1}, nil},
		{"b", 3, int64(4), 1.5, at, []byte{2}, "x"},
	}
	got, err := pgArrays(rows, 7)
	if err != nil {
		t.Fatal(err)
	}
	wantCasts := []string{"$1::text[]", "$2::int8[]", "$3::int8[]", "$4::float8[]", "$5::timestamptz[]", "$6::bytea[]", "$7::text[]"}
	if !reflect.DeepEqual(got.casts, wantCasts) {
		t.Fatalf("casts = %v", got.casts)
	}
	x := "x"
	wantArgs := []any{[]string{"a", "b"}, []int64{1, 3}, []int64{2, 4}, []float64{0.5, 1.5},
		[]time.Time{at, at}, [][]byte{{1}, {2}}, []*string{nil, &x}}
	if !reflect.DeepEqual(got.args, wantArgs) {
		t.Fatalf("args = %#v", got.args)
	}
	for name, bad := range map[string][][]any{
		"mixed types": {{"a"}, {1}},
		"unsupported": {{struct{}{}}},
	} {
		if _, err := pgArrays(bad, 1); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
