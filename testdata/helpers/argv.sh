#!/bin/sh
# Usage: sh argv.sh
# Becomes a shell whose last argument holds a carriage return, an escape
# sequence, two bytes that are not UTF-8 and a C1 control character (CSI,
# U+009B), then has its pgrun's deadline pass (ALRM) and waits.
exec sh -c 'kill -ALRM $PPID; sleep $LONG & wait' sh "$(printf 'cr\resc\033[31mbad\377\376c1\302\233end')"
