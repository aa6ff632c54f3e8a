package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/pflag"
)

// usageError is a command-line mistake: pgrun prints Msg (if any) and the
// "Try --help" line, and exits 125.
type usageError struct{ Msg string }

func (e *usageError) Error() string { return e.Msg }

// normalizeArgs reads args the way GNU getopt_long does with a leading "+"
// in its option string (as timeout(1) does) and rewrites them into a form
// pflag reads the same way: every option spelled out as --name or
// --name=value, then "--", then the operands untouched.
//
// pflag alone differs from getopt on what users of timeout(1) type: it
// knows no abbreviations (--pres, --sig=KILL), it lets --foreground=1
// through, and its messages are not getopt's. The set of options is read
// from fs, so there is one list of options.
//
// Scanning stops at the first operand or "--", and right after --help or
// --version, which act at once like in timeout(1).
func normalizeArgs(fs *pflag.FlagSet, args []string) ([]string, error) {
	var out []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--":
			return append(append(out, "--"), args[i+1:]...), nil
		case strings.HasPrefix(arg, "--"):
			name, value, hasValue := strings.Cut(arg[2:], "=")
			f, err := lookupLong(fs, name, arg)
			if err != nil {
				return nil, err
			}
			takesArg := f.NoOptDefVal == ""
			switch {
			case !takesArg && hasValue:
				return nil, &usageError{fmt.Sprintf("option '--%s' doesn't allow an argument", f.Name)}
			case takesArg && !hasValue:
				if i+1 == len(args) {
					return nil, &usageError{fmt.Sprintf("option '--%s' requires an argument", f.Name)}
				}
				i++
				value = args[i]
			}
			if takesArg {
				out = append(out, "--"+f.Name+"="+value)
			} else {
				out = append(out, "--"+f.Name)
			}
			if actsAtOnce(f) {
				return out, nil
			}
		case len(arg) > 1 && arg[0] == '-':
			for j := 1; j < len(arg); j++ {
				f := fs.ShorthandLookup(arg[j : j+1])
				if f == nil {
					return nil, &usageError{fmt.Sprintf("invalid option -- '%c'", arg[j])}
				}
				if f.NoOptDefVal != "" {
					out = append(out, "--"+f.Name)
					if actsAtOnce(f) {
						return out, nil
					}
					continue
				}
				value := arg[j+1:]
				if value == "" {
					if i+1 == len(args) {
						return nil, &usageError{fmt.Sprintf("option requires an argument -- '%c'", arg[j])}
					}
					i++
					value = args[i]
				}
				out = append(out, "--"+f.Name+"="+value)
				break
			}
		default:
			return append(append(out, "--"), args[i:]...), nil
		}
	}
	return append(out, "--"), nil
}

// lookupLong finds the long option name stands for: itself, or the only
// option it is a prefix of.
func lookupLong(fs *pflag.FlagSet, name, arg string) (*pflag.Flag, error) {
	if f := fs.Lookup(name); f != nil && !f.Hidden {
		return f, nil
	}
	var matches []*pflag.Flag
	if name != "" {
		fs.VisitAll(func(f *pflag.Flag) {
			if !f.Hidden && strings.HasPrefix(f.Name, name) {
				matches = append(matches, f)
			}
		})
	}
	switch len(matches) {
	case 0:
		return nil, &usageError{fmt.Sprintf("unrecognized option '%s'", arg)}
	case 1:
		return matches[0], nil
	}
	// Two names for one setting (--kill-after, --grace) are no ambiguity.
	names := make([]string, 0, len(matches))
	same := true
	for _, f := range matches {
		names = append(names, "'--"+f.Name+"'")
		same = same && f.Value == matches[0].Value
	}
	if same {
		return matches[0], nil
	}
	sort.Strings(names)
	return nil, &usageError{fmt.Sprintf("option '--%s' is ambiguous; possibilities: %s", name, strings.Join(names, " "))}
}

func actsAtOnce(f *pflag.Flag) bool { return f.Name == "help" || f.Name == "version" }
