//go:build !linux

package pidns

// Init is not available here: pgrun never executes itself as an init on
// this system. It returns 2.
func Init(args []string) int { return 2 }
