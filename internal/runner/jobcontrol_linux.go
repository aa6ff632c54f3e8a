package runner

import "golang.org/x/sys/unix"

// cldStopped is si_code CLD_STOPPED (siginfo.h); x/sys does not name it.
const cldStopped = 5

// commandStopped reports whether the command has stopped (Ctrl-Z at the
// terminal its group owns), consuming that report. It does not touch exit
// reports, which stay for the tree to reap.
func commandStopped(pid int) bool {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_PID, pid, &info, unix.WSTOPPED|unix.WNOHANG, nil)
	return err == nil && info.Signo == int32(unix.SIGCHLD) && info.Code == cldStopped
}
