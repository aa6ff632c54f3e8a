package killer

import "time"

// Usage is what a tree's end tells of the resources it used: on Windows,
// what the run's job counted of all its processes, those that ended
// before the leader included (JOBOBJECT_BASIC_ACCOUNTING_INFORMATION and
// the extended limit information's peak).
type Usage struct {
	User, System time.Duration // CPU time in user and kernel mode
	// PeakMemory is the most memory the job had committed at once, in
	// bytes (its processes together, not their working sets).
	PeakMemory uint64
	Processes  uint32 // processes that were in the job
}
