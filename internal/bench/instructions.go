//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// counter counts the instructions a command line executes.
type counter struct {
	name  string
	count func(argv []string) (int64, error)
}

// instructionCounter picks how to count: perf's hardware counter where
// the machine gives one (user and kernel instructions of the wrapper and
// what it runs), else valgrind's cachegrind (user-space instructions of
// the wrapper's own process only, its children untraced). Under valgrind
// pgrun runs without pidfds and clone3, which valgrind does not know, so
// its path differs from the real one after start-up; the counts still
// show what start-up and exit cost, repeatably on a busy machine.
func instructionCounter() (counter, error) {
	if out, err := exec.Command("perf", "stat", "-x,", "-e", "instructions:u,instructions:k", "true").CombinedOutput(); err == nil && !bytes.Contains(out, []byte("not supported")) {
		return counter{"perf, user+kernel", median3(perfCount)}, nil
	}
	if _, err := exec.LookPath("valgrind"); err == nil {
		return counter{"valgrind, user space, own process", median3(cachegrindCount)}, nil
	}
	return counter{}, errors.New("neither perf's instruction counter nor valgrind")
}

// median3 counts three times and keeps the median.
func median3(f func([]string) (int64, error)) func([]string) (int64, error) {
	return func(argv []string) (int64, error) {
		var n []int64
		for range 3 {
			c, err := f(argv)
			if err != nil {
				return 0, err
			}
			n = append(n, c)
		}
		sort.Slice(n, func(i, j int) bool { return n[i] < n[j] })
		return n[1], nil
	}
}

func perfCount(argv []string) (int64, error) {
	out, _ := exec.Command("perf", append([]string{"stat", "-x,", "-e", "instructions:u,instructions:k", "--"}, argv...)...).CombinedOutput()
	var total int64
	found := 0
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, ",")
		if len(f) > 2 && strings.HasPrefix(f[2], "instructions") {
			n, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("perf: %q", line)
			}
			total += n
			found++
		}
	}
	if found != 2 {
		return 0, fmt.Errorf("perf gave no counts: %s", out)
	}
	return total, nil
}

var irefs = regexp.MustCompile(`I\s+refs:\s+([0-9,]+)`)

func cachegrindCount(argv []string) (int64, error) {
	out, _ := exec.Command("valgrind", append([]string{"--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", "--"}, argv...)...).CombinedOutput()
	m := irefs.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("valgrind gave no count: %s", out)
	}
	return strconv.ParseInt(strings.ReplaceAll(string(m[1]), ",", ""), 10, 64)
}
