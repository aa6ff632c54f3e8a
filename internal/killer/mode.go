package killer

import "fmt"

// Mode is how a command's tree is contained: how pgrun finds every process
// of it, signals them and learns that they are gone. The zero value is
// Auto.
type Mode uint8

// Containment modes, weakest to strongest; Auto picks the strongest this
// system allows, and never Pidns.
const (
	Auto      Mode = iota
	Group          // the process group only
	Subreaper      // the group and every descendant that left it (Linux)
	Cgroup         // the same, born in a fresh cgroup: KILL is one atomic step (Linux)
	// Pidns runs the command under an init of pgrun's in a pid namespace
	// of its own, which the kernel ends when pgrun dies (Linux). Auto
	// never picks it: the command sees other pids and a /proc of its own.
	Pidns
	// Job runs the command in a job object of its own, which the system
	// ends with pgrun (Windows, where it is the only mode).
	Job
)

var modeNames = [...]string{Auto: "auto", Group: "group", Subreaper: "subreaper", Cgroup: "cgroup", Pidns: "pidns", Job: "job"}

// String returns the mode's name as the command line spells it.
func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", m)
}

// ParseMode returns the mode of Modes that s names ("" is Auto).
func ParseMode(s string) (Mode, error) {
	if s == "" {
		return Auto, nil
	}
	for _, m := range Modes() {
		if m.String() == s {
			return m, nil
		}
	}
	return 0, fmt.Errorf("unknown containment %q", s)
}

// Modes lists every mode of this kind of system, in the order a user is
// offered them.
func Modes() []Mode { return modesHere }
