//go:build unix

package main

import "syscall"

// meaningless is "": every signal of a Unix system's table can be sent.
func meaningless(syscall.Signal) string { return "" }
