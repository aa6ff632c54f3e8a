package main

import (
	"math"
	"math/big"
	"strings"
	"time"
)

// durationError is an invalid DURATION, as written.
type durationError struct{ Text string }

func (e *durationError) Error() string { return "invalid time interval " + e.Text }

// maxDuration stands for "never": what an overflowing DURATION saturates to.
const maxDuration = time.Duration(math.MaxInt64)

// parseDuration reads a DURATION: first as GNU timeout does (a C strtod
// number, decimal or hexadecimal, optionally followed by one of the
// suffixes s, m, h, d), then as a Go duration ("1m30s"). The result is
// rounded up to the nanosecond; a positive value below 1ns is 1ns
// (coreutils 9.7), an overflow saturates. It is never negative.
func parseDuration(s string) (time.Duration, error) {
	if d, ok := parseGNUDuration(s); ok {
		return d, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return d, nil
	}
	return 0, &durationError{Text: s}
}

var suffixSeconds = map[string]int64{"": 1, "s": 1, "m": 60, "h": 60 * 60, "d": 24 * 60 * 60}

func parseGNUDuration(s string) (time.Duration, bool) {
	rest := strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if rest != "" && (rest[0] == '+' || rest[0] == '-') {
		neg, rest = rest[0] == '-', rest[1:]
	}
	num, n := scanFloat(rest)
	unit, ok := suffixSeconds[rest[n:]]
	if n == 0 || !ok || num.nan {
		return 0, false
	}
	switch {
	case num.isZero():
		return 0, true // -0 is not negative
	case neg:
		return 0, false
	case num.inf:
		return maxDuration, true
	}
	return num.ceilNanoseconds(unit), true
}

// float is a number as C's strtod reads it: mant × radix^exp, radix 10
// or 2 (for hexadecimal input), kept exact.
type float struct {
	mant     big.Int
	exp      int64
	binary   bool // radix 2
	inf, nan bool
}

func (f *float) isZero() bool { return !f.inf && !f.nan && f.mant.Sign() == 0 }

// expLimit bounds exponents: beyond it the value over- or underflows
// whatever the mantissa (whose length is bounded by the input's).
const expLimit = 1 << 40

// scanFloat reads the longest prefix of s that strtod would read as an
// unsigned number (after the sign), and returns it with its length (0:
// none).
func scanFloat(s string) (f float, n int) {
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "infinity"):
		return float{inf: true}, len("infinity")
	case strings.HasPrefix(lower, "inf"):
		return float{inf: true}, len("inf")
	case strings.HasPrefix(lower, "nan"):
		return float{nan: true}, len("nan")
	}
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		if f, n := scanMantissa(s[2:], 16); n > 0 {
			f.binary = true
			f.exp *= 4
			e, m := scanExponent(s[2+n:], 'p')
			f.exp += e
			return f, 2 + n + m
		}
		// "0x" without hex digits: strtod reads the "0" alone.
	}
	f, n = scanMantissa(s, 10)
	if n == 0 {
		return f, 0
	}
	e, m := scanExponent(s[n:], 'e')
	f.exp += e
	return f, n + m
}

// scanMantissa reads digits with at most one radix point, at least one
// digit in all; exp is minus the number of digits after the point.
func scanMantissa(s string, base int) (f float, n int) {
	var digits []byte
	point := false
	for ; n < len(s); n++ {
		c := s[n]
		if c == '.' && !point {
			point = true
			continue
		}
		if !isDigit(c, base) {
			break
		}
		digits = append(digits, c)
		if point {
			f.exp--
		}
	}
	if len(digits) == 0 {
		return float{}, 0
	}
	f.mant.SetString(string(digits), base)
	return f, n
}

func isDigit(c byte, base int) bool {
	switch {
	case '0' <= c && c <= '9':
		return true
	case base == 16:
		c |= 0x20
		return 'a' <= c && c <= 'f'
	}
	return false
}

// scanExponent reads an exponent introduced by mark (either case), with an
// optional sign and at least one decimal digit; otherwise it reads nothing.
// The value is clamped to ±expLimit.
func scanExponent(s string, mark byte) (exp int64, n int) {
	if len(s) < 2 || (s[0]|0x20) != mark {
		return 0, 0
	}
	i, neg := 1, false
	if s[i] == '+' || s[i] == '-' {
		neg = s[i] == '-'
		i++
	}
	start := i
	for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		if exp < expLimit {
			exp = exp*10 + int64(s[i]-'0')
		}
	}
	if i == start {
		return 0, 0
	}
	exp = min(exp, expLimit)
	if neg {
		exp = -exp
	}
	return exp, i
}

// ceilNanoseconds is ⌈f × unit × 10⁹⌉ for a finite f > 0, clamped to
// [1ns, maxDuration].
func (f *float) ceilNanoseconds(unit int64) time.Duration {
	x := new(big.Int).Mul(&f.mant, big.NewInt(unit*1e9))
	exp := f.exp
	radix := int64(10)
	if f.binary {
		radix = 2
	}
	// Decide over- and underflow before building a power of radix:
	// x < radix^digits, so x × radix^exp < 1 once -exp >= digits.
	digits := int64(len(x.Text(int(radix))))
	switch {
	case exp > 0 && exp+digits > 80:
		return maxDuration
	case exp < 0 && -exp >= digits:
		return 1
	}
	pow := new(big.Int).Exp(big.NewInt(radix), big.NewInt(abs(exp)), nil)
	if exp >= 0 {
		x.Mul(x, pow)
	} else {
		var rem big.Int
		x.QuoRem(x, pow, &rem)
		if rem.Sign() != 0 {
			x.Add(x, big.NewInt(1))
		}
	}
	if !x.IsInt64() {
		return maxDuration
	}
	return max(time.Duration(x.Int64()), 1)
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
