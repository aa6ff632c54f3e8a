package main

import (
	"math"
	"math/big"
	"strings"
	"time"
)

// durationError is an invalid DURATION, kept as written (the caller quotes
// it).
type durationError struct{ Text string }

func (e *durationError) Error() string { return "invalid time interval " + e.Text }

// maxDuration stands for "never": what an overflowing DURATION saturates to.
const maxDuration = time.Duration(math.MaxInt64)

// parseDuration reads a DURATION as GNU timeout does: a number as C's
// strtod reads it in the C locale (decimal or hexadecimal, with an
// exponent, or inf), then at most one of the suffixes s, m, h, d. The value
// is rounded up to the nanosecond, exactly: a positive value below 1ns is
// 1ns (coreutils 9.7), one beyond the range of time.Duration saturates to
// maxDuration, and zero (also -0) is 0, which callers take as "no limit".
// When the GNU form does not fit, a non-negative Go duration ("1m30s",
// "500ms") is accepted too. The error is a *durationError.
func parseDuration(s string) (time.Duration, error) {
	if d, ok := parseGNUDuration(s); ok {
		return d, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return d, nil
	}
	return 0, &durationError{Text: s}
}

// unitSeconds maps the suffix that may follow the number to its length.
func unitSeconds(suffix string) (int64, bool) {
	switch suffix {
	case "", "s":
		return 1, true
	case "m":
		return 60, true
	case "h":
		return 60 * 60, true
	case "d":
		return 24 * 60 * 60, true
	}
	return 0, false
}

func parseGNUDuration(s string) (time.Duration, bool) {
	num, n := scanStrtod(s)
	if n == 0 {
		return 0, false
	}
	unit, ok := unitSeconds(s[n:])
	switch {
	case !ok || num.nan:
		return 0, false
	case num.isZero():
		return 0, true // -0 is not below 0
	case num.neg:
		return 0, false
	case num.inf:
		return maxDuration, true
	}
	return num.ceilNanoseconds(unit), true
}

// strtodNumber is a number as strtod reads it, kept exact: for a finite
// one, (-1)^neg × digits × radix^exp, where digits are the significant
// digits in base 10, or in base 16 (then radix is 2).
type strtodNumber struct {
	neg, inf, nan bool
	hex           bool
	digits        string // no leading or trailing zeros; "" is zero
	exp           int64  // within ±(expLimit + 4×len(input))
}

func (x *strtodNumber) isZero() bool { return !x.inf && !x.nan && x.digits == "" }

// expLimit clamps written exponents. Any exponent beyond it over- or
// underflows whatever the digits, as their count is bounded by the input's
// length, so clamping changes no result and keeps the arithmetic small.
const expLimit = 1 << 40

// scanStrtod reads the longest prefix of s that C's strtod reads in the C
// locale, and returns the number with the prefix length; 0 if there is
// none.
func scanStrtod(s string) (x strtodNumber, n int) {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		x.neg = s[i] == '-'
		i++
	}
	rest := s[i:]
	switch {
	case hasPrefixFold(rest, "infinity"):
		x.inf = true
		return x, i + len("infinity")
	case hasPrefixFold(rest, "inf"):
		x.inf = true
		return x, i + len("inf")
	case hasPrefixFold(rest, "nan"):
		// strtod may read a "(chars)" too, but NaN is invalid anyway.
		x.nan = true
		return x, i + len("nan")
	}
	if len(rest) > 2 && rest[0] == '0' && (rest[1]|0x20) == 'x' {
		if m := x.scanMantissa(rest[2:], true); m > 0 {
			e, k := scanExponent(rest[2+m:], 'p')
			x.exp += e
			return x, i + 2 + m + k
		}
		// "0x" with no hex digit: strtod reads the "0" only.
	}
	m := x.scanMantissa(rest, false)
	if m == 0 {
		return strtodNumber{}, 0
	}
	e, k := scanExponent(rest[m:], 'e')
	x.exp += e
	return x, i + m + k
}

// scanMantissa reads digits with at most one radix point among them, at
// least one digit in all, sets x.hex, x.digits and x.exp (the power of the
// radix implied by the point and the dropped trailing zeros), and returns
// the length read (0: none).
func (x *strtodNumber) scanMantissa(s string, hex bool) int {
	var (
		b       strings.Builder
		n       int
		ndigits int
		point   bool
		zeros   int64 // trailing zeros held back
	)
	step := int64(1) // exponent weight of one digit
	if hex {
		step = 4
	}
	for ; n < len(s); n++ {
		c := s[n]
		if c == '.' && !point {
			point = true
			continue
		}
		if !isRadixDigit(c, hex) {
			break
		}
		ndigits++
		if point {
			x.exp -= step
		}
		switch {
		case c == '0' && b.Len() == 0:
			// leading zero: no value
		case c == '0':
			zeros++
		default:
			for ; zeros > 0; zeros-- {
				b.WriteByte('0')
			}
			b.WriteByte(c)
		}
	}
	if ndigits == 0 {
		return 0
	}
	x.hex = hex
	x.digits = b.String()
	x.exp += zeros * step
	return n
}

// scanExponent reads an exponent introduced by mark (in either case): an
// optional sign and at least one decimal digit; otherwise nothing. The
// value is clamped to ±expLimit.
func scanExponent(s string, mark byte) (exp int64, n int) {
	if len(s) < 2 || s[0]|0x20 != mark {
		return 0, 0
	}
	i := 1
	neg := s[i] == '-'
	if s[i] == '+' || s[i] == '-' {
		i++
	}
	start := i
	for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		exp = min(exp*10+int64(s[i]-'0'), expLimit)
	}
	if i == start {
		return 0, 0
	}
	if neg {
		exp = -exp
	}
	return exp, i
}

// ceilNanoseconds is ⌈x × unit × 10⁹⌉ for a finite x > 0, clamped to
// [1ns, maxDuration].
func (x *strtodNumber) ceilNanoseconds(unit int64) time.Duration {
	radix, base, width := int64(10), 10, int64(1)
	if x.hex {
		radix, base, width = 2, 16, 4
	}
	// With d significant digits, x × radix^-exp lies in
	// [radix^(width×(d-1)), radix^(width×d)). One second is 10⁹ns
	// (> 2^29) and a day 8.64×10¹³ns (< 10¹⁴, < 2^47); math.MaxInt64 is
	// below 10¹⁹ and 2^63.
	lo := width*int64(len(x.digits)-1) + x.exp // log_radix(x) >= lo
	hi := lo + width                           // log_radix(x) < hi
	switch {
	case x.hex && lo+29 >= 63, !x.hex && lo+9 >= 19:
		return maxDuration
	case x.hex && hi+47 <= 0, !x.hex && hi+14 <= 0:
		return 1
	}
	// Here |exp| is at most the digit count plus a few dozen.
	v, _ := new(big.Int).SetString(x.digits, base)
	v.Mul(v, big.NewInt(unit*int64(time.Second)))
	if x.exp >= 0 {
		v.Mul(v, new(big.Int).Exp(big.NewInt(radix), big.NewInt(x.exp), nil))
	} else {
		var rem big.Int
		v.QuoRem(v, new(big.Int).Exp(big.NewInt(radix), big.NewInt(-x.exp), nil), &rem)
		if rem.Sign() != 0 {
			v.Add(v, big.NewInt(1))
		}
	}
	if !v.IsInt64() {
		return maxDuration
	}
	return max(time.Duration(v.Int64()), 1)
}

// isCSpace is isspace in the C locale.
func isCSpace(c byte) bool {
	return c == ' ' || ('\t' <= c && c <= '\r')
}

func isRadixDigit(c byte, hex bool) bool {
	if '0' <= c && c <= '9' {
		return true
	}
	c |= 0x20
	return hex && 'a' <= c && c <= 'f'
}

// hasPrefixFold is strings.HasPrefix ignoring ASCII case only (strtod in
// the C locale knows no other letters); prefix is in lower case.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}
