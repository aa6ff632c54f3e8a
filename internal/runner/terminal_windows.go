package runner

import "os"

// terminal is nothing on Windows: a console has no foreground process
// group to hand over (killer refuses Spec.Foreground).
type terminal struct{ held bool }

func foregroundTerminal() terminal { return terminal{} }

func (t terminal) restore(chan<- os.Signal) {}
