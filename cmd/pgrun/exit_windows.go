package main

import "syscall"

// dieOf is never needed on Windows, where a command does not die of a
// signal (runner.Result.Signal stays 0); it returns 128+sig.
func dieOf(sig syscall.Signal) int { return 128 + int(sig) }
