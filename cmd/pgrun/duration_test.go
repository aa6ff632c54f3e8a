package main

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

const invalid = time.Duration(-1)

var durationTests = []struct {
	in   string
	want time.Duration // invalid: a *durationError
}{
	// The reference's examples (coreutils-timeout.md §2).
	{"10", 10 * time.Second},
	{".5", 500 * time.Millisecond},
	{"1.", time.Second},
	{"1e-1", 100 * time.Millisecond},
	{"1E3", 1000 * time.Second},
	{"2.34e+5d", maxDuration}, // 234000 days: beyond int64 nanoseconds
	{"0x1", time.Second},
	{"0x0.4p0", 250 * time.Millisecond},
	{"0x1p0d", 24 * time.Hour},
	{"0x1d", 29 * time.Second}, // d is a hex digit
	{"inf", maxDuration},
	{"INF", maxDuration},
	{"infinity", maxDuration},
	{"infd", maxDuration},
	{"nan", invalid},
	{"1e", invalid},
	{".", invalid},
	{"s", invalid},
	{"", invalid},
	{" 1", time.Second},
	{"1 ", invalid},
	{"+1", time.Second},
	{"1S", invalid},
	{"1M", invalid},
	{"1D", invalid},
	{"1ss", invalid},
	{"1e400", maxDuration},
	{"1e400d", maxDuration},
	{"99999999999999999999", maxDuration},
	{"4294967296", 4294967296 * time.Second},
	{"9223372036854775808", maxDuration},
	{"9.999999999", 9999999999},
	{"0", 0},
	{"-0", 0},
	{"-0.0", 0},
	{"-1", invalid},
	{"1e-10000", 1},         // coreutils 9.7: an underflow is 1ns, not 0
	{" -1e-10000", invalid}, // and a negative one is invalid
	{"1s", time.Second},
	{"1m", time.Minute},
	{"1h", time.Hour},
	{"1d", 24 * time.Hour},

	// strtod's syntax.
	{"\t\n\v\f\r 1", time.Second},
	{"+.5", 500 * time.Millisecond},
	{"-0e5", 0},
	{"+0", 0},
	{"0.0", 0},
	{"00010", 10 * time.Second},
	{"1.5e1", 15 * time.Second},
	{"1e+1", 10 * time.Second},
	{"1E-0", time.Second},
	{"1e+", invalid},
	{"1e-", invalid},
	{"1e+s", invalid},
	{"1.e1", 10 * time.Second},
	{".5e1m", 5 * time.Minute},
	{"1..2", invalid},
	{"1.2.3", invalid},
	{"++1", invalid},
	{"+-1", invalid},
	{"- 1", invalid},
	{"1 s", invalid},
	{"1x", invalid},
	{"abc", invalid},
	{"1_0", invalid},
	{"1,5", invalid},
	{"one", invalid},
	{"０", invalid}, // a full-width digit is no digit
	{"\u00a01", invalid},
	{"1\x00", invalid},
	{"Inf", maxDuration},
	{"iNfInItY", maxDuration},
	{"+inf", maxDuration},
	{"infs", maxDuration},
	{"infinityd", maxDuration},
	{"infinit", invalid}, // strtod reads "inf", "init" is left
	{"infinitys", maxDuration},
	{"infinityy", invalid},
	{"in", invalid},
	{"\u0130nf", invalid}, // no Unicode case folding
	{"-inf", invalid},
	{"NaN", invalid},
	{"-nan", invalid},
	{"nans", invalid},
	{"nan(123)", invalid},

	// Hexadecimal.
	{"0X1", time.Second},
	{"0xA", 10 * time.Second},
	{"0xa", 10 * time.Second},
	{"0x.8", 500 * time.Millisecond},
	{"0x1.8", 1500 * time.Millisecond},
	{"0x1p-2", 250 * time.Millisecond},
	{"0x1P+2", 4 * time.Second},
	{"0x1p1m", 2 * time.Minute},
	{"0x1e", 30 * time.Second}, // e is a hex digit too
	{"0x1e1", 0x1e1 * time.Second},
	{"0x1ds", 29 * time.Second},
	{"0x0", 0},
	{"-0x0p99", 0},
	{"0x", invalid}, // strtod reads "0", "x" is left
	{"0xs", invalid},
	{"0x.", invalid},
	{"0x.p1", invalid},
	{"0xg", invalid},
	{"0x1p", invalid},
	{"0x1p+", invalid},
	{"0x1pd", invalid},
	{"0x1g", invalid},
	{"-0x1", invalid},
	{"0x1p33", 8589934592 * time.Second}, // 8.59e18ns: still fits
	{"0x1p34", maxDuration},
	{"0x1p-30", 1},   // 0.93ns
	{"0x1p-29", 2},   // 1.86ns
	{"0x1p-40d", 79}, // 78.58ns

	// Exact rounding up to the nanosecond, no float64 on the way.
	{"10.34", 10340000000},
	{"0.1", 100000000},
	{"0.3", 300000000},
	{"1e-9", 1},
	{"1.5e-9", 2},
	{"0.0000000001", 1},
	{"1.0000000001", 1000000001},
	{"1.000000000000000000000000000001", 1000000001},
	{"0.999999999999999999999999999999", time.Second},
	{"0.1m", 6 * time.Second},
	{"1e-14d", 1}, // 0.864ns
	{"1e-12d", 87},
	{"0.0000000116d", 1002240},
	{"9223372036.854775806", math.MaxInt64 - 1},
	{"9223372036.8547758061", math.MaxInt64},
	{"9223372036.854775807", math.MaxInt64},
	{"9223372036.854775808", maxDuration},
	{"106751.99116730063d", 9223372036854774432},
	{"106752d", maxDuration},

	// Saturation and underflow, with exponents too big to compute.
	{"1e999999999", maxDuration},
	{"1e99999999999999999999999999", maxDuration},
	{"1e-99999999999999999999999999", 1},
	{"0e99999999999999999999999999", 0},
	{"0x1p99999999999999999999999999", maxDuration},
	{"0x1p-99999999999999999999999999", 1},
	{"0.000000000000000000001e999999999999", maxDuration},
	{"100000e-99999999999999999999999999", 1},

	// Go durations, when the GNU form does not fit.
	{"500ms", 500 * time.Millisecond},
	{"1m30s", 90 * time.Second},
	{"2h45m", 2*time.Hour + 45*time.Minute},
	{"1.5h", 90 * time.Minute},
	{"10us", 10 * time.Microsecond},
	{"10µs", 10 * time.Microsecond},
	{"1ns", 1},
	{"+1m30s", 90 * time.Second},
	{"-0s", 0},
	{"-1s", invalid},
	{"-1m30s", invalid},
	{"-500ms", invalid},
	{"1m30", invalid},
	{"3000000h1s", invalid}, // beyond time.Duration: Go says invalid
}

// hugeDurationTests are inputs as long as an argument can be.
func hugeDurationTests() []struct {
	in   string
	want time.Duration
} {
	const n = 100000
	zeros, nines := strings.Repeat("0", n), strings.Repeat("9", n)
	return []struct {
		in   string
		want time.Duration
	}{
		{nines, maxDuration},
		{"0." + zeros + "1", 1},
		{"0.000000001" + zeros + "1", 2},
		{"1" + zeros + "e-" + strconv.Itoa(n), time.Second},
		{"1" + zeros + "e-" + strconv.Itoa(n) + "m", time.Minute},
		{"0x1" + zeros + "p-" + strconv.Itoa(4*n), time.Second},
		{"0x0." + zeros + "1", 1},
		{zeros + "7", 7 * time.Second},
		{"." + nines, time.Second},
		{"0." + nines + "d", 24 * time.Hour},
		{zeros, 0},
		{"0." + zeros + "e999999999999", 0},
		{nines + "e-" + strconv.Itoa(n+9), 1},
		{nines + "e-" + strconv.Itoa(n+8), 10},
		{nines + "x", invalid},
	}
}

func checkDuration(t *testing.T, in string, want time.Duration) {
	t.Helper()
	got, err := parseDuration(in)
	short := in
	if len(short) > 40 {
		short = short[:20] + "…" + short[len(short)-20:]
	}
	if want == invalid {
		var de *durationError
		if !errors.As(err, &de) || de.Text != in {
			t.Errorf("parseDuration(%q) = %d, %v; want a *durationError", short, got, err)
		}
		return
	}
	if err != nil || got != want {
		t.Errorf("parseDuration(%q) = %d, %v; want %d", short, got, err, want)
	}
}

func TestParseDuration(t *testing.T) {
	for _, tt := range durationTests {
		checkDuration(t, tt.in, tt.want)
	}
}

func TestParseDurationHuge(t *testing.T) {
	start := time.Now()
	for _, tt := range hugeDurationTests() {
		checkDuration(t, tt.in, tt.want)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("huge inputs took %v", d)
	}
}

func TestDurationError(t *testing.T) {
	_, err := parseDuration("1x")
	var de *durationError
	if !errors.As(err, &de) {
		t.Fatalf("parseDuration(\"1x\") error %T, want *durationError", err)
	}
	if de.Text != "1x" || err.Error() != "invalid time interval 1x" {
		t.Errorf("error %#v says %q", de, err)
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, tt := range durationTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDuration(s)
		if err != nil {
			var de *durationError
			if !errors.As(err, &de) || de.Text != s {
				t.Fatalf("parseDuration(%q): error %#v is no *durationError for the input", s, err)
			}
			return
		}
		if d < 0 {
			t.Fatalf("parseDuration(%q) = %d < 0", s, d)
		}
		// Compare with strconv where it reads the same number: a plain
		// decimal, or a hexadecimal one with its p exponent.
		num := strings.TrimLeft(s, " \t\n\v\f\r")
		unit := 1.0
		if k := len(num) - 1; k > 0 {
			switch num[k] {
			case 'm':
				num, unit = num[:k], 60
			case 'h':
				num, unit = num[:k], 3600
			case 'd':
				if !strings.ContainsAny(num, "xX") || strings.ContainsAny(num, "pP") {
					num, unit = num[:k], 86400
				}
			case 's':
				num = num[:k]
			}
		}
		charset := "0123456789.eE+-"
		if strings.ContainsAny(num, "xX") {
			if !strings.ContainsAny(num, "pP") {
				return // strconv needs the exponent
			}
			charset = "0123456789abcdefABCDEFxXpP.+-"
		}
		if strings.Trim(num, charset) != "" || num == "" {
			return
		}
		x, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return
		}
		ns := x * unit * 1e9
		switch {
		case x == 0 || ns < 1: // strconv may have underflowed
			if d > 1 {
				t.Fatalf("parseDuration(%q) = %d, strconv reads %g", s, d, x)
			}
		case ns < 1e15:
			if math.Abs(float64(d)-ns) > 1000 {
				t.Fatalf("parseDuration(%q) = %d, strconv reads %g s", s, d, x*unit)
			}
		}
	})
}
