package main

import "testing"

func TestQuote(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"sh", `'sh'`},
		{"", `''`},
		{"it's", `'it\'s'`},
		{`a\b`, `'a\\b'`},
		{"a\nb\tc", `'a\nb\tc'`},
		{"cr\resc\x1b[31m", `'cr\015esc\033[31m'`},
		{"del\x7f", `'del\177'`},
		{"bad\xff\xfe", `'bad\377\376'`},
		{"csi\u009b", `'csi\302\233'`}, // a C1 control, which some terminals obey
		{"été ✓", `'été ✓'`},           // printable UTF-8 stays as it is
	} {
		if got := quote(c.in); got != c.want {
			t.Errorf("quote(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestQuoteArgs(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want string
	}{
		{nil, "?"},
		{[]string{"sleep", "10"}, "sleep 10"},
		{[]string{"sh", "-c", "echo $x"}, `sh -c 'echo $x'`},
		{[]string{"x", ""}, `x ''`},
		{[]string{"printf", "\r\x1b[2J"}, `printf '\015\033[2J'`},
		{[]string{"cat", "f\xff"}, `cat 'f\377'`},
		{[]string{"echo", "été"}, "echo été"},
	} {
		if got := quoteArgs(c.in); got != c.want {
			t.Errorf("quoteArgs(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}
