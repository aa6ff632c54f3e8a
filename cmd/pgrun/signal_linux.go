package main

import "syscall"

// signalNames are Linux's signal names (glibc's, as gnulib lists them);
// where a number has several, the one coreutils prints comes first: ABRT
// before IOT, CHLD before CLD, POLL before IO.
var signalNames = []signalEntry{
	{"HUP", 1}, {"INT", 2}, {"QUIT", 3}, {"ILL", 4}, {"TRAP", 5},
	{"ABRT", 6}, {"IOT", 6}, {"BUS", 7}, {"FPE", 8}, {"KILL", 9},
	{"USR1", 10}, {"SEGV", 11}, {"USR2", 12}, {"PIPE", 13}, {"ALRM", 14},
	{"TERM", 15}, {"STKFLT", 16}, {"CHLD", 17}, {"CLD", 17}, {"CONT", 18},
	{"STOP", 19}, {"TSTP", 20}, {"TTIN", 21}, {"TTOU", 22}, {"URG", 23},
	{"XCPU", 24}, {"XFSZ", 25}, {"VTALRM", 26}, {"PROF", 27}, {"WINCH", 28},
	{"POLL", 29}, {"IO", 29}, {"PWR", 30}, {"SYS", 31},
}

// The real-time signals as glibc numbers them: it keeps 32 and 33 for
// itself, so these have no name and print as numbers.
const (
	rtMin syscall.Signal = 34
	rtMax syscall.Signal = 64

	// maxSignal is the kernel's highest signal (glibc's NSIG - 1).
	maxSignal = rtMax
)
