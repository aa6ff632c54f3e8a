package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pgrun/pgrun/internal/killer"
	"github.com/pgrun/pgrun/internal/runner"
)

// Shell completion is cobra's: "pgrun completion bash|zsh|fish" prints a
// script, and that script asks "pgrun __complete WORD..." what may come
// next. pgrun's own command line is read by normalizeArgs, which would take
// these words for DURATION and COMMAND; but neither "completion" nor
// "__complete" is a valid DURATION, so a first argument that is one of them
// can only be a request for completion. "pgrun 10 completion" and
// "pgrun -- completion" still run a command named completion.

// isCompletionRequest reports whether args (argv without the program name)
// ask for a completion script or for completions.
func isCompletionRequest(args []string) bool {
	if len(args) == 0 {
		return false
	}
	switch args[0] {
	case "completion", cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd:
		return true
	}
	return false
}

// runCompletion serves a completion request with cobra's machinery and
// returns the exit code: 0, or 125 for a request cobra rejects (an unknown
// shell, say).
func runCompletion(cmd *cobra.Command, prog string, stderr io.Writer, args []string) int {
	cmd.CompletionOptions.DisableDefaultCmd = false
	setUpCompletion(cmd)
	cmd.InitDefaultCompletionCmd(args...)
	for _, c := range cmd.Commands() {
		if c.Name() != "completion" {
			continue
		}
		// cobra's "completion" without a shell prints its help and
		// succeeds, so "pgrun completion bsh > file" would too. Make both
		// mistakes usage errors.
		c.RunE = func(*cobra.Command, []string) error {
			return &usageError{"completion needs a shell: bash, zsh, fish or powershell"}
		}
		c.Args = func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return &usageError{"unknown shell " + quote(args[0]) + " (bash, zsh, fish or powershell)"}
			}
			return nil
		}
		c.SetHelpFunc(completionHelp) // its shells' help too
	}
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		return reportUsage(stderr, prog, err)
	}
	return 0
}

// completionHelp is the help of "completion" and its shells, laid out as
// pgrun's own, which has no place for subcommands. A function, not a
// cobra template, for the reason newRootCmd gives.
func completionHelp(c *cobra.Command, _ []string) {
	var b strings.Builder
	b.WriteString("Usage:\n  " + c.UseLine() + "\n")
	if c.HasAvailableSubCommands() {
		b.WriteString("\nShells:\n")
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				fmt.Fprintf(&b, "  %-*s %s\n", sub.NamePadding(), sub.Name(), sub.Short)
			}
		}
	}
	b.WriteString("\nOptions:\n" + optionsHelp(c.LocalFlags()) + "\n" + c.Long + "\n")
	io.WriteString(c.OutOrStdout(), b.String())
}

// setUpCompletion tells cobra what each position completes to: the values
// of --signal, --contain, --orphans and --guardian; nothing for DURATION; and after it
// the shell's own completion (files and commands), since what follows is
// the command's business.
func setUpCompletion(cmd *cobra.Command) {
	cmd.ValidArgsFunction = func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) == 0 && !cmd.Flags().Changed("timeout") {
			return nil, cobra.ShellCompDirectiveNoFileComp // DURATION
		}
		return nil, cobra.ShellCompDirectiveDefault
	}
	choices := func(words []string) cobra.CompletionFunc {
		return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var out []cobra.Completion
			for _, w := range words {
				if strings.HasPrefix(w, toComplete) {
					out = append(out, w)
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		}
	}
	var orphans []string
	for _, o := range runner.OrphanPolicies() {
		orphans = append(orphans, o.String())
	}
	var modes []string
	for _, m := range killer.Modes() {
		modes = append(modes, m.String())
	}
	noFiles := cobra.FixedCompletions(nil, cobra.ShellCompDirectiveNoFileComp)
	for name, f := range map[string]cobra.CompletionFunc{
		"signal":     completeSignal,
		"contain":    choices(modes),
		"orphans":    choices(orphans),
		"guardian":   choices(guardianModes),
		"timeout":    noFiles,
		"kill-after": noFiles,
		"grace":      noFiles,
	} {
		// The flags exist (newRootCmd defines them) and have no function
		// yet, so this cannot fail.
		_ = cmd.RegisterFlagCompletionFunc(name, f)
	}
	// Completions show the first line of each option's help, without the
	// backquotes that name its argument in --help.
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		_, usage := pflag.UnquoteUsage(f)
		f.Usage, _, _ = strings.Cut(usage, "\n")
	})
}

// completeSignal offers the names --signal accepts, each once (the name
// pgrun prints, not its aliases), with its number as the description; in
// lower case or with SIG when that is how the word was begun. In a ladder
// (QUIT:30s,TE) it completes the step after the last comma; a step's WAIT
// gets nothing.
func completeSignal(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	done := ""
	if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
		done, toComplete = toComplete[:i+1], toComplete[i+1:]
	}
	if strings.Contains(toComplete, ":") {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []string
	for _, e := range signalNames {
		if signalName(e.sig) == e.name && meaningless(e.sig) == "" {
			names = append(names, e.name)
		}
	}
	if rtMin > 0 {
		names = append(names, "RTMIN", "RTMAX")
	}
	prefix := ""
	if strings.HasPrefix(upperASCII(toComplete), "SIG") {
		prefix = toComplete[:3]
	}
	lower := toComplete != "" && toComplete == strings.ToLower(toComplete)
	var out []cobra.Completion
	for _, n := range names {
		word := prefix + n
		if lower {
			word = strings.ToLower(word)
		}
		if !strings.HasPrefix(word, toComplete) {
			continue
		}
		sig, _ := signalNamed(n)
		out = append(out, cobra.CompletionWithDesc(done+word, "signal "+strconv.Itoa(int(sig))))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
