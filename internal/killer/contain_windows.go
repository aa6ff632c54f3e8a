package killer

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows"

	"github.com/pgrun/pgrun/internal/killer/jobobject"
)

// containment is the job the command will be born in, and the events by
// which its tree will tell of the job's news (see jobTree.watchRest).
type containment struct {
	mode Mode // Job
	why  string
	job  *jobobject.Job
	news windows.Handle // auto-reset: the job's port had a message
	stop windows.Handle // manual-reset: the tree is released
}

// contain makes the run's job: Auto and Job are the same here.
func contain(mode Mode) (*containment, error) {
	if mode != Auto && mode != Job {
		return nil, fmt.Errorf("containment %q is not available on Windows", mode)
	}
	job, err := jobobject.New()
	if err != nil {
		return nil, fmt.Errorf("cannot contain the command in a job object: %w", err)
	}
	c := &containment{mode: Job, why: "the only mode on Windows", job: job}
	if c.news, err = windows.CreateEvent(nil, 0, 0, nil); err == nil {
		if c.stop, err = windows.CreateEvent(nil, 1, 0, nil); err != nil {
			windows.CloseHandle(c.news)
		}
	}
	if err != nil {
		job.Close()
		job.ClosePort()
		return nil, fmt.Errorf("cannot contain the command in a job object: creating an event: %w", err)
	}
	return c, nil
}

// refuse fails what a job cannot do: a Windows console has no foreground
// process group to give the command.
func (c *containment) refuse(spec Spec) error {
	if spec.Foreground {
		return errors.New("--foreground has no meaning on Windows: a console has no foreground process group (the command reads the console as it is)")
	}
	return nil
}

// discard closes the job, which holds nothing yet, and the events.
func (c *containment) discard() {
	c.job.Close()
	c.job.ClosePort()
	windows.CloseHandle(c.news)
	windows.CloseHandle(c.stop)
}

// AdoptOrphans does nothing: the job holds every process the command
// starts, whoever its parent.
func AdoptOrphans() error { return nil }

// kin is nothing here: pgrun's other children are never in the run's job.
type kin struct{}

func readKin() (kin, error) { return kin{}, nil }
