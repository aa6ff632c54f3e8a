package main

import (
	"runtime/debug"
	"strings"
)

// versionString is what --version prints after the program name: the
// release version, commit and date when the release build set them (see
// main.go), else what the go command recorded in the binary.
func versionString() string {
	bi, _ := debug.ReadBuildInfo()
	return formatVersion(version, commit, date, bi)
}

// formatVersion fills in what the linker flags left empty from bi (which
// may be nil): the module version that "go install ...@vX" records, and
// the revision and commit time that "go build" records in a git checkout
// (vcs.revision, vcs.time; with vcs.modified the revision gets "+dirty":
// the sources were not that commit's). The date is the commit's, as the
// release build sets it too ({{.CommitDate}}, for reproducible builds).
func formatVersion(version, commit, date string, bi *debug.BuildInfo) string {
	if bi != nil {
		if version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			version = bi.Main.Version
		}
		vcs := map[string]string{}
		for _, s := range bi.Settings {
			vcs[s.Key] = s.Value
		}
		if commit == "" && vcs["vcs.revision"] != "" {
			commit = vcs["vcs.revision"]
			if vcs["vcs.modified"] == "true" {
				commit += "+dirty"
			}
		}
		if date == "" {
			date = vcs["vcs.time"]
		}
	}
	if version == "" {
		version = "devel"
	}
	var extra []string
	if commit != "" {
		extra = append(extra, "commit "+commit)
	}
	if date != "" {
		extra = append(extra, date)
	}
	if len(extra) > 0 {
		version += " (" + strings.Join(extra, ", ") + ")"
	}
	return version
}
