#!/bin/sh
# Usage: scripts/gendocs.sh [DIR [VERSION]]
#
# Writes pgrun's man page and shell completion scripts into DIR (build/ by
# default, which git ignores): DIR/man/pgrun.1 (and .1.gz) and
# DIR/completions/pgrun.{bash,zsh,fish}, as the release archives and
# packages carry them. goreleaser's before hook and CI run it.
#
# They are written by pgrun itself, built with -tags gendocs (see
# cmd/pgrun/gendocs.go), so that the generator's dependencies stay out of
# the pgrun that ships. VERSION, if given, goes in the page's footer; its
# date is the last commit's, so that the same commit gives the same page.
set -eu
cd "$(dirname "$0")/.."
out=${1:-build}
export PGRUN_VERSION="${2:-}"
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH
rm -rf "$out/man" "$out/completions"
PGRUN_GENDOCS=$out go run -tags gendocs ./cmd/pgrun
echo "gendocs: wrote $out/man and $out/completions"
