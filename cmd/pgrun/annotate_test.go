package main

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pgrun/pgrun/internal/runner"
)

func TestEscapeWorkflowCommand(t *testing.T) {
	for _, tt := range []struct{ in, data, property string }{
		{"plain text", "plain text", "plain text"},
		{"100%", "100%25", "100%25"},
		{"%0A", "%250A", "%250A"}, // already escaped-looking text stays literal
		{"a\nb\r\nc", "a%0Ab%0D%0Ac", "a%0Ab%0D%0Ac"},
		{"k:v,w", "k:v,w", "k%3Av%2Cw"},
		{"::error::x", "::error::x", "%3A%3Aerror%3A%3Ax"},
	} {
		if got := escapeData(tt.in); got != tt.data {
			t.Errorf("escapeData(%q) = %q, want %q", tt.in, got, tt.data)
		}
		if got := escapeProperty(tt.in); got != tt.property {
			t.Errorf("escapeProperty(%q) = %q, want %q", tt.in, got, tt.property)
		}
	}
}

func TestFormatLimit(t *testing.T) {
	for d, want := range map[time.Duration]string{
		200 * time.Millisecond:                "200ms",
		10 * time.Second:                      "10s",
		90 * time.Second:                      "1m30s",
		20 * time.Minute:                      "20m",
		time.Hour:                             "1h",
		time.Hour + 30*time.Minute:            "1h30m",
		time.Hour + time.Second:               "1h0m1s",
		24 * time.Hour:                        "24h",
		1500 * time.Millisecond:               "1.5s",
		10*time.Minute + 500*time.Millisecond: "10m0.5s",
	} {
		if got := formatLimit(d); got != want {
			t.Errorf("formatLimit(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestAnnotateTimeout(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "GITHUB_ACTIONS" {
				return v
			}
			return ""
		}
	}
	timedOut := runner.Result{TimedOut: true, ExitCode: runner.ExitTimedOut}
	for _, tt := range []struct {
		name string
		env  string
		out  outcome
		want string
	}{
		{"timed out", "true", outcome{res: timedOut, args: []string{"pytest", "-x"}, timeout: 20 * time.Minute},
			"\n::error title=pgrun::'pytest -x' timed out after 20m\n"},
		{"escaped", "true", outcome{res: timedOut, args: []string{"./50%\nslow"}, timeout: time.Second},
			"\n::error title=pgrun::'./50%25\\nslow' timed out after 1s\n"},
		{"ALRM without a limit", "true", outcome{res: timedOut, args: []string{"make"}},
			"\n::error title=pgrun::'make' timed out (pgrun received ALRM)\n"},
		{"not in Actions", "", outcome{res: timedOut, args: []string{"make"}, timeout: time.Second}, ""},
		{"GITHUB_ACTIONS=false", "false", outcome{res: timedOut, args: []string{"make"}, timeout: time.Second}, ""},
		{"in time", "true", outcome{args: []string{"make"}, timeout: time.Second}, ""},
		{"relayed signal", "true", outcome{res: runner.Result{Signal: syscall.SIGTERM}, args: []string{"make"}, timeout: time.Second}, ""},
	} {
		var b strings.Builder
		annotateTimeout(&b, env(tt.env), &tt.out)
		if b.String() != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, b.String(), tt.want)
		}
	}
}

func TestShortCommand(t *testing.T) {
	long := strings.Repeat("x", 100)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"pytest"}, "'pytest'"},
		{[]string{"python3", "-m", "pytest", "-n", "auto"}, "'python3 -m pytest -n auto'"},
		// Quoted as coreutils quotes: no argument can end the line or
		// the quotes.
		{[]string{"sh", "-c", "echo 'a'\nb"}, `'sh -c echo \'a\'\nb'`},
		{[]string{"./bad\xffname"}, `'./bad\377name'`},
		// Cut to 72 characters, the last three of them "...".
		{[]string{"go", "test", long}, "'go test " + long[:61] + "...'"},
		{[]string{strings.Repeat("é", 80)}, "'" + strings.Repeat("é", 69) + "...'"},
		{[]string{strings.Repeat("\xff", 80)}, "'" + strings.Repeat(`\377`, 69) + "...'"},
	} {
		if got := shortCommand(tt.args); got != tt.want {
			t.Errorf("shortCommand(%q) = %s, want %s", tt.args, got, tt.want)
		}
	}
}
