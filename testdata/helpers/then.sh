#!/bin/sh
# Usage: sh then.sh WHAT PGRUN_PID || exit $?
# What a tree-building helper does once its tree is recorded:
#   ready  create ./ready
#   alarm  send ALRM to pgrun: its deadline
#   exit   exit 5, so that the caller exits 5, leaving its tree behind
#   TERM, INT, HUP...  send that signal to pgrun
case $1 in
ready) touch ready ;;
alarm) kill -ALRM "$2" ;;
exit) exit 5 ;;
*) kill -"$1" "$2" ;;
esac
