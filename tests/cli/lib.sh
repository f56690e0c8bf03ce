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

# corr_rows CASE OUT: correlation's rows, binding ids included. Conflict ids
# are not stable (a whole run numbers them again), so conflicts are named by
# their bindings; corr_ids CASE OUT writes what names them, for runs that
# took one path.
corr_rows() {
	{
		"$TL" sql "$1" "SELECT * FROM bindings ORDER BY id"
		"$TL" sql "$1" "SELECT kind, subject, binding_a, binding_b, start_ts, end_ts, events FROM binding_conflicts ORDER BY binding_a, binding_b"
		"$TL" sql "$1" "SELECT * FROM attributions ORDER BY event_id, kind"
		"$TL" sql "$1" "SELECT x.event_id, x.kind, c.binding_a, c.binding_b FROM attribution_conflicts x JOIN binding_conflicts c ON c.id = x.conflict_id ORDER BY 1, 2"
		"$TL" sql "$1" "SELECT bindings, conflicts, attributed_user, attributed_host, conflicted, skipped, next_binding FROM correlation_state"
	} >"$2" 2>&1
}
corr_ids() {
	{ "$TL" sql "$1" "SELECT * FROM binding_conflicts ORDER BY id"; "$TL" bindings "$1"; } >"$2" 2>&1
}

# demo_case NAME [manifest]: a fresh copy of the demo case under $WORK, ingested,
# with out/timeline.jsonl and out/per-format.tsv written (and a manifest if asked)
demo_case() {
	local d="$WORK/$1"
	cp -r "$SRC/fixtures/cases/demo" "$d"
	rm -rf "$d/case.db"* "$d/out" "$d/expected" "$d/custody.jsonl" "$d/replay.tl"
	"$TL" ingest --no-progress "$d" >/dev/null 2>&1
	"$TL" timeline --output jsonl -o timeline.jsonl "$d"
	"$TL" sql -o per-format.tsv "$d" "SELECT format, count(*) FROM events GROUP BY 1 ORDER BY 1"
	[ "${2:-}" = manifest ] && "$TL" manifest "$d" >/dev/null
	echo "$d"
}

# chain_case NAME: a fresh, ingested copy of fixtures/cases/chain (tl chain's
# own case: one workstation's Sysmon and Security events, DLP, squid, BIND,
# Zeek conn.log and auditd)
chain_case() {
	local d="$WORK/$1"
	cp -r "$SRC/fixtures/cases/chain" "$d"
	rm -rf "$d/case.db"* "$d/out" "$d/custody.jsonl" "$d/replay.tl"
	"$TL" ingest --no-progress "$d" >/dev/null 2>&1
	echo "$d"
}
