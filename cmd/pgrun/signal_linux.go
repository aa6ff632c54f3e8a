package main

import "syscall"

// signalNames lists Linux's signal names; for a number with several names,
// the one coreutils prints comes first.
var signalNames = []struct {
	name string
	sig  syscall.Signal
}{
	{"HUP", 1}, {"INT", 2}, {"QUIT", 3}, {"ILL", 4}, {"TRAP", 5},
	{"ABRT", 6}, {"IOT", 6}, {"BUS", 7}, {"FPE", 8}, {"KILL", 9},
	{"USR1", 10}, {"SEGV", 11}, {"USR2", 12}, {"PIPE", 13}, {"ALRM", 14},
	{"TERM", 15}, {"STKFLT", 16}, {"CHLD", 17}, {"CLD", 17}, {"CONT", 18},
	{"STOP", 19}, {"TSTP", 20}, {"TTIN", 21}, {"TTOU", 22}, {"URG", 23},
	{"XCPU", 24}, {"XFSZ", 25}, {"VTALRM", 26}, {"PROF", 27}, {"WINCH", 28},
	{"POLL", 29}, {"IO", 29}, {"PWR", 30}, {"SYS", 31},
}

// The real-time signals as the C library numbers them (it keeps 32 and 33
// for itself).
const (
	rtMin syscall.Signal = 34
	rtMax syscall.Signal = 64

	maxSignal = rtMax
)
