package killer

import (
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/pgrun/pgrun/internal/killer/guardian"
	"github.com/pgrun/pgrun/internal/killer/proc"
)

// walkDown lists pgrun's live descendants as descendants does, but from
// the top down: pgrun's children files, then each listed process's, so
// that it costs what the tree holds, not what the machine runs. It gives
// up (ok false, nothing held) where the bottom-up pass is the better
// tool: when the tree turns out to be a large part of the machine (the
// pass then costs less than reading every process's children files), or
// when a live process's children file cannot be read (hidepid: the pass
// still sees its children's own entries).
//
// The children files are hints: the kernel may skip an entry while a
// sibling that it listed just before exits. So a file in which a listed
// child was found gone is read once more. A process is taken only as descendants takes one
// (verified after its pidfd was opened); one that is missed is a process
// that a later walk finds, which is what callers already allow for: KILL
// repeats until pgrun has no child at all. When a process died during the
// walk, its orphans may have moved to pgrun after pgrun's children were
// read: they are read again until they list nothing new. Children of
// pgrun that f does not take for the tree's are passed over, with
// everything below them.
func walkDown(f *family, skip int) (procs []member, ok bool) {
	limit, ok := walkLimit()
	if !ok {
		return nil, false
	}
	gpid := guardian.Pid()
	buf := make([]byte, 64<<10) // a children file: about 6 bytes a child
	seen := make(map[int]bool)
	type node struct {
		pid     int
		vouched func() bool // the node is still the process that was listed
	}
	var queue []node
	var out []member
	// visit takes pid, listed as ppid's child (0: pgrun's), and reports
	// false if it was gone: then the file that listed it may have
	// skipped a sibling.
	visit := func(pid, ppid int, parentAlive func() bool) bool {
		if seen[pid] || pid == gpid {
			return true
		}
		seen[pid] = true
		if skip != 0 {
			if pgid, err := unix.Getpgid(pid); err == nil && pgid == skip {
				// A member: the group's signal reaches it, and it vouches
				// for its children while it stays one (see descendants).
				queue = append(queue, node{pid, func() bool {
					pgid, err := unix.Getpgid(pid)
					return err == nil && pgid == skip
				}})
				return true
			}
		}
		var p member
		var found bool
		if ppid == 0 {
			if pid != f.leader && !f.ours(pid) {
				return true // a stranger: nothing of it is the tree's
			}
			p, found = openChild(pid) // an unreaped child's number is its own
		} else {
			p, found = open(pid, ppid, parentAlive)
		}
		if found {
			out = append(out, p)
			queue = append(queue, node{pid, p.alive})
		}
		return found
	}
	// visitAll visits what a children file listed and reports whether
	// every process was there.
	visitAll := func(pids []int, ppid int, parentAlive func() bool) bool {
		all := true
		for _, pid := range pids {
			all = visit(pid, ppid, parentAlive) && all
		}
		return all
	}
	for done, again := 0, false; ; again = true {
		direct, err := children()
		if err != nil {
			closeAll(out)
			return nil, false
		}
		before := len(seen)
		intact := visitAll(direct, 0, nil) // nothing died during this pass
		if again && len(seen) == before {
			return out, true // nothing new went to pgrun meanwhile
		}
		for ; done < len(queue); done++ {
			if len(seen) > limit {
				treeTooBig.Store(true)
				closeAll(out)
				return nil, false
			}
			n := queue[done]
			kids, err := proc.ChildrenOf(n.pid, buf)
			if err != nil {
				if n.vouched() {
					closeAll(out)
					return nil, false // alive, but its children cannot be read
				}
				intact = false // gone: its children went to pgrun
				continue
			}
			if !visitAll(kids, n.pid, n.vouched) {
				intact = false
				if kids, err := proc.ChildrenOf(n.pid, buf); err == nil {
					visitAll(kids, n.pid, n.vouched) // once more
				}
			}
		}
		if intact {
			return out, true
		}
		// Read pgrun's children again: what the queue holds from here on
		// is new, and is expanded like the rest.
	}
}

// walkLimit is how many processes a walk may visit before the pass over
// /proc is the cheaper tool: an eighth of the machine's tasks. ok is false
// once a walk of this run found the tree bigger than that.
func walkLimit() (limit int, ok bool) {
	if treeTooBig.Load() {
		return 0, false
	}
	return max(proc.MachineTasks()/8, 64), true
}

// treeTooBig is set once a walk found the tree too big for walking: it
// stays so for the rest of the run (a tree that large dies as a whole, by
// the group's KILL), so that no later signal pays for a walk that gives
// up.
var treeTooBig atomic.Bool

// walkMap maps each process below root (pgrun, or the init of its
// namespace) to its live children, from the children files down, for a
// listing of the tree; ok is false where walkDown would give up too. A
// process missed while a sibling exits is missing from a listing that
// says it may miss one.
func walkMap(root int) (kids map[int][]proc.Entry, ok bool) {
	limit, ok := walkLimit()
	if !ok {
		return nil, false
	}
	buf := make([]byte, 64<<10)
	var stat [proc.StatSize]byte
	kids = make(map[int][]proc.Entry)
	queue, seen := []int{root}, 0
	for i := 0; i < len(queue); i++ {
		pids, err := proc.ChildrenOf(queue[i], buf)
		if err != nil {
			if i == 0 || proc.State(queue[i]) != 0 {
				return nil, false
			}
			continue // gone meanwhile
		}
		for _, pid := range pids {
			if seen++; seen > limit {
				return nil, false
			}
			st, err := proc.ReadStatInto(pid, stat[:])
			if err != nil || st.State == 'Z' || st.State == 'X' || st.Ppid != queue[i] {
				continue
			}
			kids[queue[i]] = append(kids[queue[i]], proc.Entry{Pid: pid, Stat: st})
			queue = append(queue, pid)
		}
	}
	return kids, true
}
