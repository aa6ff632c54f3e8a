package guardian

import (
	"reflect"
	"testing"
)

// What pgrun encodes is what the guardian decodes, field for field: a
// field lost on the way would make a guardian kill less than the tree (no
// cookie, no sweep) or the wrong group (no -fg).
func TestSpecRoundTrip(t *testing.T) {
	for _, s := range []Spec{
		{Leader: 42},
		{Leader: 42, Start: 123456789, Foreground: true, Pidfd: true},
		{Leader: 7, Cookie: "PGRUN_TREE_0123456789abcdef=1", Sweep: true},
		{Leader: 7, Sweep: true, Passes: true},
		{Leader: 7, Pidfd: true, Watched: true},
		{Leader: 7, Start: 1, Cgroup: "/sys/fs/cgroup/pgrun-7-0000abcd", Pidfd: true},
	} {
		args := s.args()
		if args[0] != Name {
			t.Errorf("%+v: argv[0] %q, want %q", s, args[0], Name)
		}
		got, err := parseSpec(args[1:])
		if err != nil || !reflect.DeepEqual(got, s) {
			t.Errorf("%+v: decoded %+v, %v", s, got, err)
		}
	}
	for _, bad := range [][]string{
		{},                              // no leader
		{"-leader"},                     // no value
		{"-leader", "x"},                // not a number
		{"-leader", "1", "-start", "-"}, // not a number
		{"-leader", "1", "-bogus"},
	} {
		if _, err := parseSpec(bad); err == nil {
			t.Errorf("parseSpec(%q) succeeded", bad)
		}
	}
}
