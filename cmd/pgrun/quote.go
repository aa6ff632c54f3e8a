package main

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// quote puts s in apostrophes the way coreutils' diagnostics do: C escapes
// for the apostrophe, the backslash, newline and tab, octal for every other
// control character (C0, DEL and the C1 controls U+0080 to U+009F, byte by
// byte) and for bytes that are not valid UTF-8. Printable UTF-8 is kept as
// is. So a quoted string never moves a terminal's cursor or starts an
// escape sequence, whatever a command line holds.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, "\\%03o", s[i])
		case r == '\'' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case unicode.IsControl(r):
			for _, c := range []byte(s[i : i+size]) {
				fmt.Fprintf(&b, "\\%03o", c)
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('\'')
	return b.String()
}
