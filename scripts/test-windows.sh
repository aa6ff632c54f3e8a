#!/usr/bin/env bash
# Runs pgrun's Windows tests on Linux, under Wine: the Windows unit tests
# and the scripts of testdata/windows (GOOS=windows go test -exec), then a
# SIGKILL of pgrun's Wine process from Linux, after which nothing of its
# tree may run on. Needs Debian's wine64 and gcc-mingw-w64-x86-64 (.ci/run
# installs them). Everything happens in a temporary Wine prefix, removed
# at the end, with a test-only stand-in for bcryptprimitives.dll, which
# Wine 8 lacks and Go programs need (testdata/wine/bcryptprimitives.c):
# never shipped.
#
# Used as go test's -exec wrapper too: scripts/test-windows.sh --exec BINARY ARGS...
set -euo pipefail

wine=${WINE:-/usr/lib/wine/wine64}
if [ "${1-}" = --exec ]; then
	shift
	exec "$wine" "$@"
fi

cd "$(dirname "$0")/.."
root=$PWD
start=$SECONDS
# Debian's wine64 names its server wineserver64, beside the loader.
wineserver=
for w in "$(dirname "$wine")"/wineserver64 "$(dirname "$wine")"/wineserver "$(command -v wineserver || true)"; do
	if [ -n "$w" ] && [ -x "$w" ]; then wineserver=$w; break; fi
done
[ -n "$wineserver" ] || { echo "no wineserver beside $wine"; exit 1; }
tmp=$(mktemp -d)
export WINEPREFIX=$tmp/prefix WINEDEBUG=-all
cleanup() {
	"$wineserver" -k >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "== a Wine prefix, with the stand-in DLL"
"$wine" wineboot --init >/dev/null 2>&1
"$wineserver" -w
x86_64-w64-mingw32-gcc -shared -O2 -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
	testdata/wine/bcryptprimitives.c -ladvapi32
echo "prefix ready after $((SECONDS - start)) s"

echo "== GOOS=windows go test, under Wine"
GOOS=windows GOARCH=amd64 go test -count=1 -exec "$root/scripts/test-windows.sh --exec" ./...

echo "== SIGKILL of pgrun's Wine process, from Linux"
# The cmd/pgrun test binary is pgrun and treehelper by the name it runs as.
GOOS=windows GOARCH=amd64 go test -c -o "$tmp/pgrun.exe" ./cmd/pgrun
cp "$tmp/pgrun.exe" "$tmp/treehelper.exe"
mkdir "$tmp/t"
LONG=60 "$wine" "$tmp/pgrun.exe" 60 "$tmp/treehelper.exe" tree "Z:${tmp//\//\\}\\t" &
pg=$!
for _ in $(seq 600); do [ -e "$tmp/t/ready" ] && break; sleep 0.1; done
[ -e "$tmp/t/ready" ] || { echo "the tree never became ready"; exit 1; }
# The tree's processes are seen by their command lines, which name the
# run's directory.
marker=$(basename "$tmp")
[ "$(pgrep -fc "$marker")" -ge 7 ] || { echo "the tree's processes cannot be told by $marker"; exit 1; }
kill -9 "$pg"
wait "$pg" 2>/dev/null || true
# The Wine server closes the dead process's handles, and the job ends the
# tree.
for _ in $(seq 200); do pgrep -f "$marker" >/dev/null || break; sleep 0.1; done
if pgrep -fa "$marker"; then
	echo "processes of the tree outlived pgrun's SIGKILL by 20 s"
	exit 1
fi
sizes() { stat -c '%n %s' "$tmp"/t/tick-*; }
before=$(sizes)
sleep 1 # ten ticks, had anything survived unseen
after=$(sizes)
if [ "$before" != "$after" ]; then
	echo "processes of the tree outlived pgrun's SIGKILL:"
	diff <(echo "$before") <(echo "$after") || true
	exit 1
fi
echo "nothing of the tree survived pgrun's SIGKILL"
echo "Windows tests took $((SECONDS - start)) s"
