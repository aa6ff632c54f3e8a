//go:build unix && !linux && !darwin

package main

import "syscall"

// maxRSSKiB is ru_maxrss, which the BSDs give in KiB.
func maxRSSKiB(ru syscall.Rusage) int64 { return int64(ru.Maxrss) }
