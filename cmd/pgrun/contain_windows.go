package main

// containUsage is --contain's line of --help.
const containUsage = "how to find the whole tree: `MODE` auto or job (the same: a job\nobject of its own, which Windows ends with pgrun)"
