//go:build unix

package killer

import (
	"errors"
	"syscall"
)

// refuse fails a spec that the containment cannot meet.
func (c *containment) refuse(spec Spec) error {
	if c.mode == Pidns && spec.Foreground {
		return errors.New("a command in a pid namespace cannot have the terminal's foreground (--foreground)")
	}
	return nil
}

// start is Start once the command is known to have arguments: the fork,
// in the containment, with the fallback from a cgroup that lets it down.
func (p *Containment) start(cmd Command) (Tree, Info, error) {
	c, spec, k := p.c, p.spec, p.k
	path, err := lookPath(cmd.Args[0])
	if err != nil {
		c.discard()
		return nil, Info{}, &ExecError{Name: cmd.Args[0], Err: err}
	}
	for {
		attr := &syscall.SysProcAttr{}
		via, err := c.apply(attr)
		if err != nil {
			return nil, Info{}, err
		}
		cookie := treeCookie(spec, c, k)
		pid, pidfd, err := launch(path, cmd, attr, via, cookie, spec.Foreground)
		if err != nil {
			var clone *cloneError
			switch {
			case c.mode == Pidns:
				return nil, Info{}, c.failed(err)
			case c.mode == Cgroup && errors.As(err, &clone):
				if ferr := c.fallback("starting in the cgroup failed: " + clone.Err.Error()); ferr != nil {
					return nil, Info{}, ferr
				}
				continue
			}
			c.discard()
			return nil, Info{}, err
		}
		tree, err := c.tree(pid, pidfd, k, spec.Foreground, cookie)
		if errors.Is(err, errKilledAtBirth) {
			if ferr := c.fallback(err.Error()); ferr != nil {
				return nil, Info{}, ferr
			}
			continue
		}
		var execErr *ExecError
		if errors.As(err, &execErr) {
			execErr.Name = cmd.Args[0]
		}
		if err != nil {
			return nil, Info{}, err
		}
		tree, watch := guard(tree, spec, c, pid, pidfd, cookie)
		c.started()
		return tree, Info{Pid: pid, Mode: c.mode, Why: c.why, Limits: k.limits(c), Guardian: watch}, nil
	}
}

// errKilledAtBirth reports that the kernel killed the command as it was
// cloned into its cgroup (a kernel bug: see containment.tree). Nothing
// ran.
var errKilledAtBirth = errors.New("the command was killed as it was cloned into its cgroup")
