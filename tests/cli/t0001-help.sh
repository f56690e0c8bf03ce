#!/usr/bin/env bash
# Every command answers -h with usage on stdout; help and version work; unknown commands are usage errors.
. "$(dirname "$0")/lib.sh"

# the commands are read from the command table in src/cli/main.c, so a new
# command is covered the moment it is added there
cmds=$(sed -n '/^} commands\[\] = {/,/^};/s/^[[:space:]]*{ "\([a-z-]*\)", cmd_.*/\1/p' "$SRC/src/cli/main.c")
n=$(printf '%s\n' "$cmds" | grep -c .)
[ "$n" -ge 10 ] && ok "the command table lists $n commands" || fail "could not read the command table ($n commands)"
for cmd in $cmds; do
	expect_exit 0 "tl $cmd -h exits 0" -- "$TL" "$cmd" -h
	contains "$WORK/out" "usage: tl" "tl $cmd -h prints usage on stdout"
	expect_exit 0 "tl help $cmd" -- "$TL" help "$cmd"
done
expect_exit 0 "tl --version" -- "$TL" --version
contains "$WORK/out" "^tl [0-9]+\.[0-9]+\.[0-9]+ \(build " "version line names the build"
expect_exit 0 "tl help" -- "$TL" help
contains "$WORK/out" "Exit status:" "tl help documents exit codes"
for cmd in $cmds; do
	contains "$WORK/out" "^  $cmd " "tl help lists $cmd"
	[ -f "$SRC/docs/commands/$cmd.md" ] && ok "docs/commands/$cmd.md exists" || fail "no docs/commands/$cmd.md for tl $cmd"
	grep -q "(commands/$cmd.md)" "$SRC/docs/README.md" && ok "docs/README.md links commands/$cmd.md" ||
		fail "docs/README.md does not link commands/$cmd.md"
done
expect_exit 2 "unknown command is a usage error" -- "$TL" frobnicate
expect_exit 2 "help for an unknown command is a usage error" -- "$TL" help frobnicate
expect_exit 2 "no command is a usage error" -- "$TL"
expect_exit 2 "bad option is a usage error" -- "$TL" timeline --bogus x
expect_exit 1 "timeline on a non-case says so" -- "$TL" timeline "$WORK"
contains "$WORK/err" "is not a tl case" "the error names the problem"
finish
