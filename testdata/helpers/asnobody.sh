#!/bin/sh
# Usage: sh asnobody.sh [-hidepid] COMMAND [ARG...]
# Runs COMMAND as nobody (uid and gid 65534, no groups), from a directory
# of its own that nobody may write; the files it leaves there are copied
# back here afterwards. The test's commands (pgrun, escape...) and
# $HELPERS are copied where nobody can run them. With -hidepid, COMMAND runs in a mount
# namespace whose /proc is mounted with hidepid=2: nobody sees no other
# user's processes there. Needs root, setpriv and (for -hidepid) unshare.
hidepid=
if [ "$1" = -hidepid ]; then
	hidepid=1
	shift
fi
# TMPDIR is under $WORK, which nobody cannot reach.
dir=$(mktemp -d -p /tmp) || exit 99
chmod 755 "$dir"
mkdir "$dir/bin" "$dir/run"
chmod 777 "$dir/run"
cp "$(dirname "$(command -v pgrun)")"/* "$dir/bin/" || exit 99
cp -r "$HELPERS" "$dir/helpers" || exit 99
export HELPERS="$dir/helpers"
status=0
cd "$dir/run"
export PATH="$dir/bin:$PATH"
drop='exec setpriv --reuid=65534 --regid=65534 --clear-groups "$@"'
if [ -n "$hidepid" ]; then
	unshare --mount --propagation private sh -c "mount -t proc -o hidepid=2 proc /proc && $drop" sh "$@" || status=$?
else
	sh -c "$drop" sh "$@" || status=$?
fi
cd - > /dev/null
cp -r "$dir/run/." .
rm -rf "$dir"
exit $status
