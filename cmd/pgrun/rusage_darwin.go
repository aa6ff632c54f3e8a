package main

import "syscall"

// maxRSSKiB is ru_maxrss in KiB; macOS gives it in bytes.
func maxRSSKiB(ru syscall.Rusage) int64 { return int64(ru.Maxrss) / 1024 }
