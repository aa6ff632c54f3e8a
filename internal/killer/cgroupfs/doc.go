// Package cgroupfs manages the cgroup v2 directory of one pgrun run: made
// below pgrun's own cgroup, marked as pgrun's and locked for as long as
// pgrun lives, killed through cgroup.kill, waited empty and removed; and
// the sweep that removes what pgruns killed with SIGKILL left behind,
// which touches only directories marked as pgrun's and locked by no one.
package cgroupfs
