//go:build unix

package killer

// modesHere are the modes of Unix systems; those a system lacks fail when
// asked for by name.
var modesHere = []Mode{Auto, Cgroup, Subreaper, Group, Pidns}
