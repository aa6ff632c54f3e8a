//go:build unix

package runner

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCommandEnv(t *testing.T) {
	now := time.Now()
	deadline := now.Add(30 * time.Second)
	ms := deadline.UnixMilli()
	own := fmt.Sprintf("%d.%03d", ms/1000, ms%1000)
	soon := now.Unix() + 10
	for _, c := range []struct {
		inherited []string // PGRUN_DEADLINE values, in order
		want      string
	}{
		{nil, own},
		{[]string{fmt.Sprint(soon)}, fmt.Sprint(soon)},
		{[]string{fmt.Sprintf("%d.25", soon)}, fmt.Sprintf("%d.25", soon)},
		{[]string{fmt.Sprintf("00%d.000", soon)}, fmt.Sprintf("00%d.000", soon)},
		{[]string{fmt.Sprint(soon + 60)}, own}, // later than pgrun's
		// Not a plain decimal Unix time: absent.
		{[]string{"0"}, own},
		{[]string{"-5"}, own},
		{[]string{"-Infinity"}, own},
		{[]string{"Inf"}, own},
		{[]string{"NaN"}, own},
		{[]string{"1e-9"}, own},
		{[]string{"0x1p30"}, own},
		{[]string{"1_000"}, own},
		{[]string{""}, own},
		{[]string{" " + fmt.Sprint(soon)}, own},
		{[]string{"+" + fmt.Sprint(soon)}, own},
		{[]string{fmt.Sprint(soon) + "."}, own},
		{[]string{".5"}, own},
		{[]string{fmt.Sprint(soon) + "e0"}, own},
		{[]string{fmt.Sprintf("%d.5.5", soon)}, own},
		{[]string{"١٢٣"}, own}, // digits, but not ASCII ones
		// Past: absent, however recent.
		{[]string{"1000000000"}, own},
		{[]string{fmt.Sprint(now.Unix() - 1)}, own},
		// Several: the earliest that counts, once.
		{[]string{"0", fmt.Sprint(soon)}, fmt.Sprint(soon)},
		{[]string{fmt.Sprint(soon + 5), fmt.Sprint(soon)}, fmt.Sprint(soon)},
		{[]string{"soon", "-1"}, own},
	} {
		env := []string{"A=1"}
		for _, v := range c.inherited {
			env = append(env, DeadlineEnv+"="+v, "B=2")
		}
		got := commandEnv(env, deadline)
		var values []string
		for _, kv := range got {
			if v, ok := strings.CutPrefix(kv, DeadlineEnv+"="); ok {
				values = append(values, v)
			}
		}
		if len(values) != 1 || values[0] != c.want {
			t.Errorf("inherited %q: the command gets %s %q, want %q once", c.inherited, DeadlineEnv, values, c.want)
		}
		if others := slices.DeleteFunc(slices.Clone(got), func(kv string) bool { return strings.HasPrefix(kv, DeadlineEnv+"=") }); !slices.Contains(others, "A=1") ||
			len(c.inherited) > 0 && !slices.Contains(others, "B=2") {
			t.Errorf("inherited %q: the rest of the environment is lost: %q", c.inherited, got)
		}
	}
}
