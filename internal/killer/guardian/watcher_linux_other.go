//go:build linux && !amd64

package guardian

// watcherImage is empty: there is no watcher for this architecture, and
// the guardian proper waits itself.
var watcherImage []byte
