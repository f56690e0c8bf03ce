# Shared helpers for the command tests: sourced, with TL (the binary) and
# SRC (the source tree) set by ctest. Each check prints ok/FAIL; the script
# ends with finish, which prints "N passed, M failed" and sets the exit code.
set -u
PASS=0
FAILED=0
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export LC_ALL=C

ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $1"; }

# expect_exit CODE DESCRIPTION -- command...
expect_exit() {
	local want=$1 what=$2
	shift 3
	"$@" >"$WORK/out" 2>"$WORK/err"
	local got=$?
	if [ "$got" -eq "$want" ]; then ok "$what"; else
		fail "$what (exit $got, wanted $want)"
		sed 's/^/    /' "$WORK/err" | head -20
	fi
}

# contains FILE REGEX DESCRIPTION
contains() {
	if grep -Eq -- "$2" "$1"; then ok "$3"; else
		fail "$3 (no /$2/ in $(basename "$1"))"
		sed 's/^/    /' "$1" | head -20
	fi
}

same() { # same A B DESCRIPTION
	if diff -u "$1" "$2" >"$WORK/diff"; then ok "$3"; else
		fail "$3"
		head -40 "$WORK/diff" | sed 's/^/    /'
	fi
}

new_case() { # new_case NAME -> path of an initialised case
	"$TL" init "$WORK/$1" >/dev/null && echo "$WORK/$1"
}

finish() {
	echo "$PASS passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}
