package killer

import (
	"errors"
	"fmt"

	"github.com/pgrun/pgrun/internal/killer/jobobject"
)

// containment is the job the command will be born in.
type containment struct {
	mode Mode // Job
	why  string
	job  *jobobject.Job
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
	return &containment{mode: Job, why: "the only mode on Windows", job: job}, nil
}

// refuse fails what a job cannot do: a Windows console has no foreground
// process group to give the command.
func (c *containment) refuse(spec Spec) error {
	if spec.Foreground {
		return errors.New("--foreground has no meaning on Windows: a console has no foreground process group (the command reads the console as it is)")
	}
	return nil
}

// discard closes the job, which holds nothing yet.
func (c *containment) discard() {
	c.job.Close()
	c.job.ClosePort()
}

// AdoptOrphans does nothing: the job holds every process the command
// starts, whoever its parent.
func AdoptOrphans() error { return nil }

// kin is nothing here: pgrun's other children are never in the run's job.
type kin struct{}

func readKin() (kin, error) { return kin{}, nil }
