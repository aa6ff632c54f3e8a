package main

import (
	"runtime/debug"
	"testing"
)

func TestFormatVersion(t *testing.T) {
	vcs := func(settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/pgrun/pgrun", Version: "(devel)"}}
		for i := 0; i < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	installed := &debug.BuildInfo{Main: debug.Module{Path: "github.com/pgrun/pgrun", Version: "v1.2.3"}}
	clean := vcs("vcs", "git", "vcs.revision", "0123abc", "vcs.time", "2026-01-02T03:04:05Z", "vcs.modified", "false")
	dirty := vcs("vcs.revision", "0123abc", "vcs.time", "2026-01-02T03:04:05Z", "vcs.modified", "true")
	tests := []struct {
		name                  string
		version, commit, date string
		bi                    *debug.BuildInfo
		want                  string
	}{
		{"nothing known", "", "", "", nil, "devel"},
		{"go build -buildvcs=false", "", "", "", vcs(), "devel"},
		{"release build", "1.0.0", "fedcba9", "2026-02-03T00:00:00Z", clean,
			"1.0.0 (commit fedcba9, 2026-02-03T00:00:00Z)"},
		{"go install @v1.2.3", "", "", "", installed, "v1.2.3"},
		{"go build in a checkout", "", "", "", clean, "devel (commit 0123abc, 2026-01-02T03:04:05Z)"},
		{"go build with changes", "", "", "", dirty, "devel (commit 0123abc+dirty, 2026-01-02T03:04:05Z)"},
		{"ldflags set only the version", "2.0.0", "", "", clean, "2.0.0 (commit 0123abc, 2026-01-02T03:04:05Z)"},
		{"ldflags commit wins, dirty or not", "", "fedcba9", "", dirty, "devel (commit fedcba9, 2026-01-02T03:04:05Z)"},
	}
	for _, tt := range tests {
		if got := formatVersion(tt.version, tt.commit, tt.date, tt.bi); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}
