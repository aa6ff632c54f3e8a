//go:build gendocs

// This file turns pgrun into the generator of its own man page and shell
// completion scripts, and is compiled only with -tags gendocs:
//
//	PGRUN_GENDOCS=build go run -tags gendocs ./cmd/pgrun
//
// (scripts/gendocs.sh, which goreleaser's before hook and CI run). The tag
// keeps go-md2man and blackfriday out of the pgrun that ships; the
// environment variable makes the tagged build a generator without giving
// pgrun's command line, which belongs to timeout(1)'s syntax, a word of its
// own. Without the variable the tagged build is pgrun.
//
// Everything comes from where it is kept: the synopsis, description and
// options from the cobra command (what --help shows), the completion
// scripts from cobra, and the sections that --help has no room for (what
// pgrun does, the exit statuses, the report, the differences from
// timeout(1), the limits) from README.md, and the report's fields from
// docs/report.md, read from the working directory.
package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cpuguy83/go-md2man/v2/md2man"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func init() {
	dir := os.Getenv("PGRUN_GENDOCS")
	if dir == "" {
		return
	}
	if err := genDocs(dir); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// genDocs writes into dir:
//
//	man/pgrun.1       the man page (for man -l)
//	man/pgrun.1.gz    the same, compressed, as packages install it
//	completions/pgrun.bash, pgrun.zsh, pgrun.fish
//
// The page's date is SOURCE_DATE_EPOCH's when set (the reproducible-builds
// convention; scripts/gendocs.sh sets the commit's), and its version
// PGRUN_VERSION's.
func genDocs(dir string) error {
	cmd := newRootCmd("pgrun", io.Discard, &outcome{})
	docs := map[string]string{}
	for _, name := range []string{"README.md", "docs/report.md"} {
		md, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		docs[name] = string(md)
	}
	date := time.Now()
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH: %v", err)
		}
		date = time.Unix(sec, 0)
	}
	page, err := manPage(cmd, docs, os.Getenv("PGRUN_VERSION"), date.UTC())
	if err != nil {
		return err
	}
	roff := asciiRoff(md2man.Render([]byte(page)))
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression) // no name, no time: reproducible
	zw.Write(roff)
	if err := zw.Close(); err != nil {
		return err
	}

	var bash, zsh, fish bytes.Buffer
	if err := errors.Join(
		cmd.GenBashCompletionV2(&bash, true),
		cmd.GenZshCompletion(&zsh),
		cmd.GenFishCompletion(&fish, true),
	); err != nil {
		return err
	}
	files := map[string][]byte{
		"man/pgrun.1":            roff,
		"man/pgrun.1.gz":         gz.Bytes(),
		"completions/pgrun.bash": bash.Bytes(),
		"completions/pgrun.zsh":  zsh.Bytes(),
		"completions/pgrun.fish": fish.Bytes(),
	}
	for name, b := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// manPage writes the man page in the Markdown that go-md2man reads.
func manPage(cmd *cobra.Command, docs map[string]string, version string, date time.Time) (string, error) {
	var b strings.Builder
	source := "pgrun"
	if version != "" {
		source += " " + version
	}
	fmt.Fprintf(&b, "%% \"PGRUN\" \"1\" %q %q \"User Commands\"\n\n", date.Format("January 2006"), source)

	fmt.Fprintf(&b, "# NAME\n\npgrun - %s\n\n", strings.ToLower(cmd.Short[:1])+cmd.Short[1:])

	b.WriteString("# SYNOPSIS\n\n")
	for i, use := range strings.Split(cmd.Use, "\n") {
		if i > 0 {
			b.WriteString("  \n") // a hard line break
		}
		b.WriteString(synopsisLine(strings.TrimSpace(use)))
	}
	b.WriteString("\n\n")

	// --help's description, without its exit status list: the README's
	// table, below, says more.
	desc, _, _ := strings.Cut(cmd.Long, "\n\nExit status:")
	fmt.Fprintf(&b, "# DESCRIPTION\n\n%s\n\n", desc)

	b.WriteString("# OPTIONS\n\n")
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		arg, usage := pflag.UnquoteUsage(f)
		switch f.Name {
		case "help":
			usage = "print this help and exit"
		case "version":
			usage = "print the version and exit"
		}
		term := "**--" + f.Name + "**"
		if f.Shorthand != "" {
			term = "**-" + f.Shorthand + "**, " + term
		}
		if f.NoOptDefVal == "" {
			term += "=*" + strings.ToUpper(arg) + "*" // as --help writes it, GNU's form
		}
		fmt.Fprintf(&b, "%s\n:   %s\n\n", term, strings.ReplaceAll(usage, "\n", " "))
	})

	for _, s := range []struct{ file, heading, title string }{
		{"README.md", "## What pgrun does", "WHAT PGRUN DOES"},
		{"README.md", "## Exit status", "EXIT STATUS"},
		{"docs/report.md", "# The report: `--report FILE`", "THE REPORT"},
		{"README.md", "### Budget a test runner's own timeouts: `PGRUN_DEADLINE`", "ENVIRONMENT"},
		{"README.md", "### Get a stack dump from a hung test suite", "STACK DUMPS BEFORE THE KILL"},
		{"README.md", "## Migrating from timeout(1)", "DIFFERENCES FROM GNU TIMEOUT"},
		{"README.md", "## Limits", "LIMITS"},
	} {
		body, err := readmeSection(docs[s.file], s.heading)
		if err != nil {
			return "", fmt.Errorf("%s: %w", s.file, err)
		}
		fmt.Fprintf(&b, "# %s\n\n%s\n\n", s.title, body)
	}

	b.WriteString("# EXAMPLES\n\n")
	for _, ex := range strings.Split(cmd.Example, "\n") {
		fmt.Fprintf(&b, "    %s\n", strings.TrimSpace(ex))
	}
	b.WriteString("\n# SEE ALSO\n\ntimeout(1), kill(1), setsid(1), signal(7)\n")
	return b.String(), nil
}

// asciiRoff writes every non-ASCII character as a groff escape (\[u2014]
// for an em dash), so that the page needs no preconv: man runs it, a
// plain "groff -man" does not.
func asciiRoff(roff []byte) []byte {
	var b bytes.Buffer
	for _, r := range string(roff) {
		if r < 0x80 {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, "\\[u%04X]", r)
		}
	}
	return b.Bytes()
}

// synopsisLine sets a usage line as a man page's synopsis does: what is
// typed as is in bold, what stands for something in italics (the value in
// --timeout=DURATION too).
func synopsisLine(use string) string {
	var words []string
	for _, w := range strings.Fields(use) {
		core := strings.Trim(w, "[].")
		lead, rest, _ := strings.Cut(w, core)
		switch opt, value, ok := strings.Cut(core, "="); {
		case core == "":
			words = append(words, w)
		case ok && strings.HasPrefix(opt, "-"):
			words = append(words, lead+"**"+opt+"**=*"+value+"*"+rest)
		case core == "pgrun" || strings.HasPrefix(core, "-"):
			words = append(words, lead+"**"+core+"**"+rest)
		default:
			words = append(words, lead+"*"+core+"*"+rest)
		}
	}
	return strings.Join(words, " ")
}

// readmeLink is a Markdown link, whose text alone a man page keeps.
var readmeLink = regexp.MustCompile(`\[([^\]]+)\]\([^)]*\)`)

// readmeSection returns the body of the README section under heading, up
// to the next heading of the same or a higher level, without its links.
func readmeSection(readme, heading string) (string, error) {
	level := strings.Index(heading, " ")
	lines := strings.Split(readme, "\n")
	start := -1
	for i, l := range lines {
		if l == heading {
			start = i + 1
			break
		}
	}
	if start < 0 {
		return "", fmt.Errorf("no section %q", heading)
	}
	end := len(lines)
	inCode := false
	for i := start; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "```") {
			inCode = !inCode
		}
		if !inCode && strings.HasPrefix(l, "#") {
			if n := strings.Index(l, " "); n > 0 && n <= level && strings.Trim(l[:n], "#") == "" {
				end = i
				break
			}
		}
	}
	body := strings.TrimSpace(strings.Join(lines[start:end], "\n"))
	return tablesToLists(readmeLink.ReplaceAllString(body, "$1")), nil
}

// tablesToLists turns the Markdown tables of a README section into
// definition lists, as man pages lay out such things: a terminal is too
// narrow for the README's wide tables. The first column is the term; the
// others follow, each after its heading when there are several.
func tablesToLists(md string) string {
	var out []string
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "|") {
			out = append(out, lines[i])
			continue
		}
		header := tableCells(lines[i])
		i++ // the |---| line
		for i+1 < len(lines) && strings.HasPrefix(lines[i+1], "|") {
			i++
			cells := tableCells(lines[i])
			var def []string
			for j := 1; j < len(cells); j++ {
				if len(header) > 2 && j < len(header) {
					def = append(def, "*"+strings.ReplaceAll(header[j], "`", "")+":* "+cells[j])
				} else {
					def = append(def, cells[j])
				}
			}
			out = append(out, cells[0], ":   "+strings.Join(def, "  \n    "), "")
		}
	}
	return strings.Join(out, "\n")
}

// tableCells splits a Markdown table row into its cells, where "\|" is a
// "|" within a cell.
func tableCells(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimSuffix(strings.TrimPrefix(row, "|"), "|")
	var cells []string
	var cell strings.Builder
	for i := 0; i < len(row); i++ {
		switch {
		case row[i] == '\\' && i+1 < len(row) && row[i+1] == '|':
			cell.WriteByte('|')
			i++
		case row[i] == '|':
			cells = append(cells, strings.TrimSpace(cell.String()))
			cell.Reset()
		default:
			cell.WriteByte(row[i])
		}
	}
	return append(cells, strings.TrimSpace(cell.String()))
}
