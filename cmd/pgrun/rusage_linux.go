package main

import "syscall"

// maxRSSKiB is ru_maxrss, which Linux gives in KiB.
func maxRSSKiB(ru syscall.Rusage) int64 { return int64(ru.Maxrss) }
