// Package jobobject is a Windows job object made for one run: the
// command is assigned to it before it runs its first instruction, every
// process it starts is born in it (no breakaway), and the system ends them
// all when the last handle to the job is closed, which happens when pgrun
// ends in any way (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE). The job's
// completion port says when processes start and end, and when none is
// left (JOB_OBJECT_MSG_ACTIVE_PROCESS_ZERO), so nothing polls.
//
// A process already in a job (a CI runner's, a shell's, an outer pgrun's)
// is put in a nested job: Windows 8 and Server 2012 and later. Before,
// assigning it fails, and so does New's caller.
//
// It imports nothing of pgrun's. Windows only.
package jobobject
