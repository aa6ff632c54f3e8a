package main

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

var durationTests = []struct {
	in   string
	want time.Duration // -1: invalid
}{
	// coreutils' grammar
	{"10", 10 * time.Second},
	{"0", 0},
	{"-0", 0},
	{"-0.0", 0},
	{"+1", time.Second},
	{" 1", time.Second},
	{"\t\n1", time.Second},
	{".5", 500 * time.Millisecond},
	{"1.", time.Second},
	{"1e-1", 100 * time.Millisecond},
	{"1E3", 1000 * time.Second},
	{"2.34e+5d", maxDuration}, // 234000 days: more than int64 nanoseconds
	{"2.34e+3d", 2340 * 24 * time.Hour},
	{"1s", time.Second},
	{"1m", time.Minute},
	{"1h", time.Hour},
	{"1d", 24 * time.Hour},
	{".5m", 30 * time.Second},
	{"10.34", 10340 * time.Millisecond},
	{"9.999999999", 9999999999},
	{"0.0000000001", 1}, // rounded up to the nanosecond
	{"1.0000000001", 1000000001},
	{"0x1", time.Second},
	{"0x0.4p0", 250 * time.Millisecond},
	{"0x1p0d", 24 * time.Hour},
	{"0x1d", 29 * time.Second}, // d is a hex digit
	{"0X.8", 500 * time.Millisecond},
	{"0x1p-2", 250 * time.Millisecond},
	{"inf", maxDuration},
	{"INF", maxDuration},
	{"infinity", maxDuration},
	{"infd", maxDuration},
	{"1e400", maxDuration},
	{"1e400d", maxDuration},
	{"99999999999999999999", maxDuration},
	{"9223372036854775808", maxDuration},
	{"4294967296", 4294967296 * time.Second},
	{"1e999999999999999999999", maxDuration},
	{"1e-10000", 1}, // coreutils 9.7: underflow is 1ns, not 0
	{"0e999999", 0},
	// Go durations
	{"500ms", 500 * time.Millisecond},
	{"1m30s", 90 * time.Second},
	{"2h45m", 2*time.Hour + 45*time.Minute},
	{"1.5h", 90 * time.Minute},
	{"10us", 10 * time.Microsecond},
	// invalid
	{"", -1},
	{".", -1},
	{"s", -1},
	{"abc", -1},
	{"1 ", -1},
	{"1x", -1},
	{"1ss", -1},
	{"1S", -1},
	{"1M", -1},
	{"42D", -1},
	{"1e", -1},
	{"1e+", -1},
	{"0x", -1},
	{"0xg", -1},
	{"0x1p", -1},
	{"nan", -1},
	{"NaN", -1},
	{"nan(123)", -1},
	{"-1", -1},
	{" -0.1", -1},
	{" -1e-10000", -1},
	{"-inf", -1},
	{"-1s", -1},
	{"-1m30s", -1},
	{"1..2", -1},
	{"++1", -1},
	{"1 s", -1},
}

func TestParseDuration(t *testing.T) {
	for _, tt := range durationTests {
		got, err := parseDuration(tt.in)
		if tt.want < 0 {
			var de *durationError
			if !errors.As(err, &de) || de.Text != tt.in {
				t.Errorf("parseDuration(%q) = %v, %v; want a durationError", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseDuration(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
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
				t.Fatalf("parseDuration(%q): error %v is not a durationError for the input", s, err)
			}
			return
		}
		if d < 0 {
			t.Fatalf("parseDuration(%q) = %d < 0", s, d)
		}
		// Where strconv reads the same plain decimal, the results agree
		// to within float64's precision.
		if strings.ContainsAny(s, "xXpP_infINF") {
			return
		}
		x, err := strconv.ParseFloat(strings.TrimLeft(s, " \t\n\v\f\r"), 64)
		if err != nil || x < 0 || x > 1e6 {
			return
		}
		if diff := math.Abs(float64(d) - x*1e9); diff > 1000 && x > 0 {
			t.Fatalf("parseDuration(%q) = %d, strconv says %g s", s, d, x)
		}
	})
}
