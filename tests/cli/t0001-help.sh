#!/usr/bin/env bash
# Every command answers -h with usage on stdout; help and version work; unknown commands are usage errors.
. "$(dirname "$0")/lib.sh"

for cmd in detect formats gaps help ingest init manifest package rejects replay show sources sql stats tag timeline verify version; do
	expect_exit 0 "tl $cmd -h exits 0" -- "$TL" "$cmd" -h
	contains "$WORK/out" "usage: tl" "tl $cmd -h prints usage on stdout"
	expect_exit 0 "tl help $cmd" -- "$TL" help "$cmd"
done
expect_exit 0 "tl --version" -- "$TL" --version
contains "$WORK/out" "^tl [0-9]+\.[0-9]+\.[0-9]+ \(build " "version line names the build"
expect_exit 0 "tl help" -- "$TL" help
contains "$WORK/out" "Exit status:" "tl help documents exit codes"
expect_exit 2 "unknown command is a usage error" -- "$TL" frobnicate
expect_exit 2 "help for an unknown command is a usage error" -- "$TL" help frobnicate
expect_exit 2 "no command is a usage error" -- "$TL"
expect_exit 2 "bad option is a usage error" -- "$TL" timeline --bogus x
expect_exit 1 "timeline on a non-case says so" -- "$TL" timeline "$WORK"
contains "$WORK/err" "is not a tl case" "the error names the problem"
finish
