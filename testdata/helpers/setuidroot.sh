#!/bin/sh
# Usage: sh setuidroot.sh COMMAND > DIR
# Installs the test's COMMAND setuid root in a new directory that every
# user may enter, and prints the directory. Needs root.
dir=$(mktemp -d -p /tmp) || exit 1
chmod 755 "$dir"
cp "$(command -v "$1")" "$dir/$1" && chmod 4755 "$dir/$1" || exit 1
echo "$dir"
