package main

import "syscall"

// signalNames are the names Go's syscall package gives Windows: those of
// the C runtime and POSIX, so that a command line written for Unix reads
// the same. Only TERM, INT, KILL and 0 mean anything here (see
// meaningless).
var signalNames = []signalEntry{
	{"HUP", 1}, {"INT", 2}, {"QUIT", 3}, {"ILL", 4}, {"TRAP", 5},
	{"ABRT", 6}, {"IOT", 6}, {"BUS", 7}, {"FPE", 8}, {"KILL", 9},
	{"SEGV", 11}, {"PIPE", 13}, {"ALRM", 14}, {"TERM", 15},
}

// No real-time signals on Windows.
const rtMin, rtMax syscall.Signal = 0, 0

// maxSignal is the highest number named above.
const maxSignal syscall.Signal = 15

// meaningless says why sig cannot be sent on Windows, or is "" for the
// signals that can: TERM and INT, sent as CTRL_BREAK_EVENT to the
// command's console process group, KILL, which terminates its job, and
// 0, which sends nothing.
func meaningless(sig syscall.Signal) string {
	switch sig {
	case 0, syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL:
		return ""
	}
	return "this signal has no meaning on Windows (TERM and INT are CTRL_BREAK_EVENT to the command's process group, KILL ends its job)"
}
