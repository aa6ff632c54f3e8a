package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pgrun/pgrun/internal/killer"
	"github.com/pgrun/pgrun/internal/runner"
)

// defaultGrace is how long the tree gets between the first signal and KILL
// unless -k says otherwise. GNU timeout never escalates by default; pgrun
// does, because a tree that ignores TERM must not outlive it.
const defaultGrace = 5 * time.Second

// guardianModes are the values of --guardian.
var guardianModes = []string{"auto", "off"}

// flags holds what the command line set.
type flags struct {
	timeout        time.Duration
	ladder         []ladderStep // --signal; its first step is the plain SIGNAL
	grace          time.Duration
	preserveStatus bool
	foreground     bool
	verbose        int // -v: the signals and the tree; -v -v: the containment too
	orphans        runner.Orphans
	contain        killer.Mode
	guardian       string
	report         string
	version        bool
}

const longHelp = `Start COMMAND, and kill it and every process of its process group if it
is still running after DURATION. A drop-in for GNU timeout(1) that leaves
nothing behind: when pgrun returns, no process of the command's group is
left running and every child is reaped.

DURATION is a number with an optional suffix: 's' for seconds (the
default), 'm' for minutes, 'h' for hours or 'd' for days, or a Go duration
such as 500ms or 1m30s. 0 disables the timeout (and, for --kill-after,
the escalation to KILL).

Upon timeout, send the TERM signal (or the --signal) and CONT to the whole
group, then KILL after the grace period (--kill-after, 5s by default);
with a ladder (-s QUIT:30s,TERM), each of its signals in turn, then KILL.
The command finds the time of the first signal in PGRUN_DEADLINE.
INT, TERM, HUP, QUIT, USR1, USR2 and the other terminating signals sent to
pgrun are passed on to the group the same way.

Exit status:
  124  if COMMAND times out, and --preserve-status is not given
  125  if pgrun itself fails
  126  if COMMAND is found but cannot be invoked
  127  if COMMAND cannot be found
  137  if COMMAND (or a process of its group) had to be KILLed after a timeout
  -    the exit status of COMMAND otherwise; if it died of a signal, pgrun
       dies of the same signal`

// outcome is what the command's RunE leaves for run to end with.
type outcome struct {
	res    runner.Result
	err    error
	report *report       // nil without --report
	target *reportTarget // where the report goes, checked before the start

	args    []string      // the command, for annotateTimeout
	timeout time.Duration // its limit

	summary string         // GITHUB_STEP_SUMMARY: where a timeout is told, "" if nowhere
	events  []runner.Event // the signals sent, when summary is set
}

// newRootCmd builds the pgrun command. What it ran is left in *out, so
// that run can decide how to end.
func newRootCmd(prog string, stderr io.Writer, out *outcome) *cobra.Command {
	f := flags{ladder: []ladderStep{{sig: syscall.SIGTERM}}, grace: defaultGrace, guardian: "auto"}
	cmd := &cobra.Command{
		Use:                   "pgrun [OPTION]... DURATION COMMAND [ARG]...\n  pgrun [OPTION]... --timeout=DURATION [--] COMMAND [ARG]...",
		Example:               "  pgrun 900 pytest -n auto\n  pgrun --timeout 15m --grace 10s -- make test",
		Short:                 "Run a command with a time limit and kill its whole process tree",
		Long:                  longHelp,
		DisableFlagsInUseLine: true,
		SilenceErrors:         true,
		SilenceUsage:          true,
		CompletionOptions:     cobra.CompletionOptions{DisableDefaultCmd: true},
		Args: func(cmd *cobra.Command, args []string) error {
			if f.version {
				return nil
			}
			need := 2
			if cmd.Flags().Changed("timeout") {
				need = 1
			}
			if len(args) < need {
				return &usageError{}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.version {
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "pgrun %s\n", versionString())
				return err
			}
			if !cmd.Flags().Changed("timeout") {
				d, err := parseDuration(args[0])
				if err != nil {
					return err
				}
				f.timeout, args = d, args[1:]
			}
			opts := runner.Options{
				Args:           args,
				Timeout:        f.timeout,
				Signal:         f.ladder[0].sig,
				Grace:          f.grace,
				Ladder:         runnerLadder(f.ladder, f.grace),
				PreserveStatus: f.preserveStatus,
				Foreground:     f.foreground,
				Orphans:        f.orphans,
				Contain:        f.contain,
				Guardian:       f.guardian == "auto",
			}
			if cmd.Flags().Changed("report") { // --report '' too: refused
				target, err := openReport(f.report)
				if err != nil {
					return err
				}
				out.report, out.target = newReport(args, f.timeout, f.grace), target
			}
			// -v is silent on a run where nothing happened, as timeout(1)
			// is: the containment is said with the first signal sent,
			// unless -v -v asks for it at the start.
			var held []string
			if f.verbose > 0 || out.report != nil {
				opts.OnStart = func(c killer.Info) {
					if f.verbose > 0 {
						held = containmentLines(prog, c)
						if f.verbose > 1 {
							io.WriteString(stderr, strings.Join(held, ""))
							held = nil
						}
					}
					if out.report != nil {
						out.report.ContainmentLimits = c.Limits
						out.report.Guardian = c.Guardian
					}
				}
			}
			opts.Snapshots = f.verbose > 0 || out.report != nil || out.summary != ""
			shownTree := false
			opts.OnEvent = func(ev runner.Event) {
				if f.verbose > 0 {
					// One write for the event's lines: stderr's queue
					// drops whole writes when it overflows, never half.
					var b strings.Builder
					b.WriteString(strings.Join(held, ""))
					held = nil
					showTree := ev.Reason == runner.Deadline && !shownTree
					shownTree = shownTree || showTree
					reportEvent(&b, prog, args, f.timeout, ev, showTree)
					io.WriteString(stderr, b.String())
				}
				if out.report != nil {
					out.report.record(ev)
				}
				if out.summary != "" {
					out.events = append(out.events, ev)
				}
			}
			out.args, out.timeout = args, f.timeout
			out.res, out.err = runner.Run(opts)
			return nil
		},
	}
	// Functions, not cobra's templates: a template links text/template,
	// whose reflection keeps every exported method in the binary (a third
	// of its size, all of it mapped and counted in pgrun's memory).
	cmd.SetHelpFunc(func(c *cobra.Command, _ []string) {
		fmt.Fprintf(c.OutOrStdout(), "Usage:\n  %s\n\nOptions:\n%s\n%s\n\nExamples:\n%s\n",
			c.UseLine(), optionsHelp(c.LocalFlags()), c.Long, c.Example)
	})
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return err })

	fs := cmd.Flags()
	fs.SetInterspersed(false)
	fs.SortFlags = false
	fs.VarP(&durationValue{&f.timeout}, "timeout", "t", "run COMMAND for at most `DURATION` (instead of the DURATION operand)")
	fs.VarP(&ladderValue{&f.ladder}, "signal", "s", "the `SIGNAL` to send on timeout: a name (TERM, SIGTERM, RTMIN+1) or a\nnumber; or a ladder SIG[:WAIT],SIG[:WAIT]... sent one after the\nother, each WAIT (default: the grace period) after the one before,\nthen KILL after the last (QUIT:30s,TERM)")
	grace := &durationValue{&f.grace}
	fs.VarP(grace, "kill-after", "k", "send KILL `DURATION` after the first signal (default 5s; 0 disables)")
	fs.Var(grace, "grace", "same as --kill-after")
	fs.BoolVarP(&f.preserveStatus, "preserve-status", "p", false, "exit with the command's status even after a timeout")
	fs.BoolVarP(&f.foreground, "foreground", "f", false, "let COMMAND read the terminal: keep it in pgrun's session and\ngive it the terminal (its process group is still killed on timeout)")
	fs.Var(&modeValue{&f.contain}, "contain", containUsage)
	fs.Var(&choiceValue{&f.guardian, "guardian", guardianModes}, "guardian", "`MODE` auto (Linux: a watcher that KILLs the tree if pgrun itself\nis killed) or off")
	fs.Var(&orphansValue{&f.orphans}, "orphans", "`POLICY` for the rest of COMMAND's group when COMMAND exits first:\nkill it (the default), wait for it, or keep it running")
	fs.CountVarP(&f.verbose, "verbose", "v", "report every signal sent, on stderr, what was still running\nat the deadline and how the tree was contained; twice: say the\ncontainment on every run")
	fs.StringVar(&f.report, "report", "", "write a JSON account of the run to `FILE` when pgrun ends")
	fs.BoolP("help", "h", false, "display this help and exit")
	fs.BoolVar(&f.version, "version", false, "output version information and exit")
	return cmd
}

// optionsHelp lists the options, one per line with its argument, in the
// order they were defined, without pflag's type and default decorations
// (the descriptions say the defaults that matter). An option's value is
// written as GNU's --help writes it, --kill-after=DURATION: tools that
// read option names from --help (help2man, coreutils' usage checks)
// expect that form, and split "--kill-after DURATION" wrong.
func optionsHelp(fs *pflag.FlagSet) string {
	var b strings.Builder
	fs.VisitAll(func(f *pflag.Flag) {
		name := "    "
		if f.Shorthand != "" {
			name = "-" + f.Shorthand + ", "
		}
		name += "--" + f.Name
		arg, usage := pflag.UnquoteUsage(f)
		if f.NoOptDefVal == "" {
			name += "=" + strings.ToUpper(arg)
		}
		for i, line := range strings.Split(usage, "\n") {
			if i > 0 {
				name = ""
			}
			fmt.Fprintf(&b, "  %-26s %s\n", name, line)
		}
	})
	return b.String()
}

// run is pgrun: it parses argv, runs the command and returns the exit code,
// or dies of the signal the command died of.
func run(argv []string) int {
	// Every line pgrun writes goes through stderr's queue (see diagWriter):
	// no write can hold up a signal. The queue gets outputWait to drain
	// before pgrun ends.
	prog, stderr := argv[0], newDiagWriter(argv[0], os.Stderr)
	defer stderr.flush(outputWait)
	out := outcome{summary: os.Getenv("GITHUB_STEP_SUMMARY")}
	cmd := newRootCmd(prog, stderr, &out)
	if isCompletionRequest(argv[1:]) {
		return runCompletion(cmd, prog, stderr, argv[1:])
	}
	args, err := normalizeArgs(cmd.Flags(), argv[1:])
	if err == nil {
		cmd.SetArgs(args)
		err = cmd.Execute()
	}
	var reportErr *reportError
	if errors.As(err, &reportErr) { // not a usage error: no "Try" line
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return runner.ExitCanceled
	}
	if err != nil {
		return reportUsage(stderr, prog, err)
	}
	if cmd.Flags().Changed("help") || cmd.Flags().Changed("version") {
		return 0
	}
	res := out.res
	code := res.ExitCode
	var execErr *killer.ExecError
	switch {
	case errors.As(out.err, &execErr):
		fmt.Fprintf(stderr, "%s: failed to run command %s: %s\n", prog, quote(execErr.Name), strerror(execErr.Err))
		code = runner.ExitCode(out.err)
	case out.err != nil:
		fmt.Fprintf(stderr, "%s: %v\n", prog, out.err)
		code = runner.ExitCode(out.err)
	case res.CoreDumped:
		fmt.Fprintf(stderr, "%s: the monitored command dumped core\n", prog)
	}
	annotateTimeout(stderr, os.Getenv, &out)
	if err := writeStepSummary(&out, code); err != nil {
		fmt.Fprintf(stderr, "%s: writing the step summary: %v\n", prog, err)
	}
	if out.report != nil {
		out.report.finish(res, out.err, code)
		// Found only now (a FIFO without a reader, a full disk): said,
		// and the status stays the run's, which a caller acts on.
		if err := out.report.write(out.target); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		}
	}
	if out.err == nil && res.Signal != 0 {
		stderr.flush(outputWait)
		return dieOf(res.Signal)
	}
	return code
}

// containmentLines are the -v lines that say how the tree is contained.
func containmentLines(prog string, c killer.Info) []string {
	lines := []string{fmt.Sprintf("%s: containment: %s (%s)\n", prog, c.Mode, c.Why)}
	if c.Limits != "" {
		lines = append(lines, fmt.Sprintf("%s: containment limits: %s\n", prog, c.Limits))
	}
	return append(lines, fmt.Sprintf("%s: guardian: %s\n", prog, c.Guardian))
}

// reportUsage prints a command-line error as timeout(1) does and returns 125.
func reportUsage(w io.Writer, prog string, err error) int {
	var (
		usage *usageError
		dur   *durationError
		sig   *signalError
		mean  *signalMeaningError
		lad   *ladderError
		orph  *choiceError
	)
	switch {
	case errors.As(err, &dur):
		fmt.Fprintf(w, "%s: invalid time interval %s\n", prog, quote(dur.Text))
	case errors.As(err, &sig):
		fmt.Fprintf(w, "%s: %s: invalid signal\n", prog, quote(sig.Text))
	case errors.As(err, &mean):
		fmt.Fprintf(w, "%s: %s: %s\n", prog, quote(mean.Text), mean.Why)
	case errors.As(err, &lad):
		fmt.Fprintf(w, "%s: invalid signal list %s: %s\n", prog, quote(lad.Text), lad.Why)
	case errors.As(err, &orph):
		fmt.Fprintf(w, "%s: invalid argument %s for '--%s'\nValid arguments are:\n", prog, quote(orph.Text), orph.Option)
		for _, o := range orph.Valid {
			fmt.Fprintf(w, "  - '%s'\n", o)
		}
	case errors.As(err, &usage):
		if usage.Msg != "" {
			fmt.Fprintf(w, "%s: %s\n", prog, usage.Msg)
		}
	default:
		fmt.Fprintf(w, "%s: %v\n", prog, err)
	}
	fmt.Fprintf(w, "Try '%s --help' for more information.\n", prog)
	return runner.ExitCanceled
}

// reportEvent prints the -v lines of one signal sent. The signal's own
// line is timeout(1)'s, naming argv[0] as it does, so that what reads
// timeout's lines reads pgrun's. Before it, pgrun's own lines: at the
// deadline (showTree), which command timed out, named by its command line
// so that two steps of a CI log can be told apart, and the tree as it
// stood, so that the log shows what was hanging; before a KILL, the
// processes it had to kill (at most killRows of them).
func reportEvent(w io.Writer, prog string, args []string, timeout time.Duration, ev runner.Event, showTree bool) {
	switch {
	case showTree && len(ev.Tree) > 0:
		fmt.Fprintf(w, "%s: %s; still running:\n", prog, timedOut(args, timeout))
		treeRows(w, prog, ev.Tree)
	case showTree:
		fmt.Fprintf(w, "%s: %s\n", prog, timedOut(args, timeout))
	case ev.Signal == syscall.SIGKILL && len(ev.Tree) > 0:
		n := len(ev.Tree)
		fmt.Fprintf(w, "%s: KILL needed for %d %s:\n", prog, n, plural(n, "process", "processes"))
		treeRows(w, prog, ev.Tree[:min(n, killRows)])
		if n > killRows {
			fmt.Fprintf(w, "%s:   and %d more\n", prog, n-killRows)
		}
	}
	target := "command"
	if ev.Leftovers {
		target = "processes left by command"
	}
	fmt.Fprintf(w, "%s: sending signal %s to %s %s\n", prog, signalName(ev.Signal), target, quote(args[0]))
}

// killRows is how many of the processes a KILL had to kill -v and the step
// summary name; the rest are counted. A KILL is the exception, the
// processes that needed it the ones to look at, and a fork bomb's thousands
// would bury them.
const killRows = 10

// treeRows lists processes as -v does: a header, then one row each,
// indented by depth, with their place marked.
func treeRows(w io.Writer, prog string, procs []killer.Process) {
	fmt.Fprintf(w, "%s:   %7s %7s %-5s %8s  %s\n", prog, "PID", "PPID", "STATE", "AGE", "COMMAND")
	for _, p := range procs {
		place := placeMark(p)
		if place != "" {
			place = "(" + place + ") "
		}
		fmt.Fprintf(w, "%s:   %7d %7d %-5s %8s  %s%s%s\n", prog, p.Pid, p.Ppid, p.State,
			p.Age.Round(100*time.Millisecond), strings.Repeat("  ", p.Depth), place, quoteArgs(p.Command))
	}
}

// placeMark is how a tree listing marks a process that is not simply in
// the command's group: "escaped" or "orphan"; "" for the others.
func placeMark(p killer.Process) string {
	if p.Place == "group" {
		return ""
	}
	return p.Place
}

// quoteArgs shows a command line, quoting only the arguments that need it:
// those a shell would split or expand, and those that quote must escape
// (control characters, bytes that are not UTF-8), which printed raw would
// move the cursor or colour a terminal, or garble a log.
func quoteArgs(args []string) string {
	if args == nil {
		return "?"
	}
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if q := quote(a); a == "" || strings.ContainsAny(a, " \t\n'\"\\$`") || q[1:len(q)-1] != a {
			out[i] = q
		}
	}
	return strings.Join(out, " ")
}

// strerror spells an errno as the C library does ("No such file or
// directory"); Go's texts are the same but start in lower case.
func strerror(err error) string {
	s := err.Error()
	var errno syscall.Errno
	if errors.As(err, &errno) && s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

// durationValue, signalValue and orphansValue check an option's value when
// it is met, so errors come in command-line order, as with getopt.
type durationValue struct{ d *time.Duration }

func (v *durationValue) String() string { return v.d.String() }
func (v *durationValue) Type() string   { return "duration" }
func (v *durationValue) Set(s string) error {
	d, err := parseDuration(s)
	if err == nil {
		*v.d = d
	}
	return err
}

type ladderValue struct{ steps *[]ladderStep }

func (v *ladderValue) String() string { return formatLadder(*v.steps) }
func (v *ladderValue) Type() string   { return "signal" }
func (v *ladderValue) Set(s string) error {
	steps, err := parseLadder(s)
	if err == nil {
		*v.steps = steps
	}
	return err
}

// choiceError is a value that is not one of an option's choices.
type choiceError struct {
	Text, Option string
	Valid        []string
}

func (e *choiceError) Error() string { return "invalid argument " + e.Text + " for --" + e.Option }

// choiceValue is an option whose value is one of a few words.
type choiceValue struct {
	s      *string
	option string
	valid  []string
}

func (v *choiceValue) String() string { return *v.s }
func (v *choiceValue) Type() string   { return "word" }
func (v *choiceValue) Set(s string) error {
	for _, c := range v.valid {
		if s == c {
			*v.s = s
			return nil
		}
	}
	return &choiceError{Text: s, Option: v.option, Valid: v.valid}
}

// modeValue is the --contain choice, read into a killer.Mode.
type modeValue struct{ m *killer.Mode }

func (v *modeValue) String() string { return v.m.String() }
func (v *modeValue) Type() string   { return "word" }
func (v *modeValue) Set(s string) error {
	m, err := killer.ParseMode(s)
	if s == "" || err != nil {
		var valid []string
		for _, m := range killer.Modes() {
			valid = append(valid, m.String())
		}
		return &choiceError{Text: s, Option: "contain", Valid: valid}
	}
	*v.m = m
	return nil
}

// orphansValue is the --orphans choice, read into a runner.Orphans.
type orphansValue struct{ o *runner.Orphans }

func (v *orphansValue) String() string { return v.o.String() }
func (v *orphansValue) Type() string   { return "policy" }
func (v *orphansValue) Set(s string) error {
	var valid []string
	for _, o := range runner.OrphanPolicies() {
		if s == o.String() {
			*v.o = o
			return nil
		}
		valid = append(valid, o.String())
	}
	return &choiceError{Text: s, Option: "orphans", Valid: valid}
}

var _ pflag.Value = (*durationValue)(nil)
