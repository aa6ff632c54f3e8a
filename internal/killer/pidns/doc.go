// Package pidns runs a command as the only child of an init of pgrun's,
// pid 1 of a pid namespace of its own (Linux): no process of the
// command's tree can leave the namespace, and the kernel KILLs all of it
// when the init dies.
//
// The init is pgrun executed again as [InitName] (see [Init]); pgrun's side
// of it is a [Parent], which prepares the init's start and waits for its
// first word, then a [Conn], over which pgrun asks the init to signal the
// namespace and hears how the command ended. The two sides speak only
// through the init's command line and a control socket whose messages are
// defined in one place, for both. The package knows nothing of trees or of
// pgrun's policy: what to send and when is its caller's.
//
// Elsewhere than on Linux there is no init: [Init] fails.
package pidns

// InitName is the argv[0] by which pgrun, executed again, knows that it is
// to be the init of a pid namespace (see [Init]).
const InitName = "pgrun-init"
