// Package guardian is the watcher that ends a run's tree when pgrun dies
// without releasing it (SIGKILL, the OOM killer): a process of its own,
// pgrun executed again as Name, waiting on a lifeline pipe whose end of
// file says that pgrun is gone. The parent side arms it (Arm) a moment
// after the command starts and dismisses it (Dismiss) when the tree is
// released; the guardian's side (Main) then kills the run's cgroup, or
// the command's group and what passes over /proc prove to be the tree's.
// What the guardian is told travels on its command line, encoded and
// decoded in one place (Spec).
package guardian

import "time"

// Name is the argv[0] by which pgrun, executed again, knows that it is
// to be a guardian (see Main): a mode chosen before any command
// line is read, never a subcommand a user could type.
const Name = "pgrun-guardian"

// Delay is how long after the command starts the guardian is
// armed. Until then, if pgrun is killed, only the command dies (Pdeathsig).
// A command that ends sooner never pays for a guardian: starting one
// costs about a millisecond of CPU, which on two cores would slow the
// start of every short command.
const Delay = 5 * time.Millisecond
