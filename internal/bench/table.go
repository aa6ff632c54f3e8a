//go:build linux

package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"
)

// table collects the rows of the report.
type table struct {
	rows []row
}

type row struct {
	what  string
	cells map[string]string
	ratio string // pgrun / GNU timeout
}

func (t *table) row(what string, res map[string]result) {
	r := row{what: what, cells: map[string]string{}, ratio: "–"}
	for name, v := range res {
		if v.ok {
			r.cells[name] = fmtDuration(v.median)
		} else {
			r.cells[name] = "error: " + v.err.Error()
		}
	}
	if p, g := res["pgrun"], res["GNU timeout"]; p.ok && g.ok && g.median > 0 {
		r.ratio = fmt.Sprintf("%.2f×", float64(p.median)/float64(g.median))
	}
	t.rows = append(t.rows, r)
}

func (t *table) rssRow(what string, peers []peer, f func(peer) (int64, error)) {
	t.countRow(what, peers, f, func(v int64) string { return fmt.Sprint(v) })
}

// countRow is a row of counts (KiB, instructions), one measure per peer,
// shown by format.
func (t *table) countRow(what string, peers []peer, f func(peer) (int64, error), format func(int64) string) {
	r := row{what: what, cells: map[string]string{}, ratio: "–"}
	vals := map[string]int64{}
	for _, p := range peers {
		v, err := f(p)
		if err != nil {
			r.cells[p.name] = "error: " + err.Error()
			continue
		}
		vals[p.name] = v
		r.cells[p.name] = format(v)
	}
	if p, g := vals["pgrun"], vals["GNU timeout"]; p > 0 && g > 0 {
		r.ratio = fmt.Sprintf("%.2f×", float64(p)/float64(g))
	}
	t.rows = append(t.rows, r)
}

func (t *table) print(w io.Writer, peers []peer, bare peer) {
	cols := []string{}
	for _, p := range peers {
		cols = append(cols, p.name)
	}
	cols = append(cols, bare.name)
	fmt.Fprintf(w, "| measure | %s | pgrun/GNU |\n", strings.Join(cols, " | "))
	fmt.Fprintf(w, "|---|%s---|\n", strings.Repeat("---|", len(cols)))
	for _, r := range t.rows {
		var cells []string
		for _, c := range cols {
			v, ok := r.cells[c]
			if !ok {
				v = "–"
			}
			cells = append(cells, v)
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", r.what, strings.Join(cells, " | "), r.ratio)
	}
	fmt.Fprintf(w, "\n%s/%s, %d CPUs, %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), time.Now().UTC().Format("2006-01-02"))
}

// fmtCount shows an instruction count in millions.
func fmtCount(n int64) string { return fmt.Sprintf("%.2f M", float64(n)/1e6) }

func fmtDuration(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	}
}
