//go:build unix

package main

// containUsage is --contain's line of --help.
const containUsage = "how to find the whole tree: `MODE` auto (the strongest available),\ncgroup, subreaper (Linux: the group and every process that left it),\ngroup (the process group only) or pidns (Linux: a pid namespace of\nits own, which the kernel ends with pgrun)"
