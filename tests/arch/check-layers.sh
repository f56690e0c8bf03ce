#!/usr/bin/env bash
# The include rules of docs/architecture.md, checked on the source tree:
#   - a file of layer L (src/L/*, or include/tl/X.h owned by L) includes only
#     headers of the layers tests/arch/layers.txt allows L;
#   - an unknown public header, or an unknown folder under src/, is an error
#     that says which table to update;
#   - a header without "tl/" (a folder's own internal header) is included only
#     from its own folder;
#   - only the sql-layer includes <sqlite3.h>;
#   - nothing below cli names stdout/stderr or calls printf, puts, exit, abort.
# usage: check-layers.sh [SOURCE_ROOT]      check a tree (default: this one)
#        check-layers.sh --self-test        prove the check fails on broken rules
set -u
here=$(cd "$(dirname "$0")" && pwd)

check() { # check ROOT -> prints problems, returns 1 if any
	local root=$1 table=$1/tests/arch/layers.txt
	local -A allow=() owner=() allowprint=() tree=()
	local sql_layer="" bad=0 kind name rest
	while read -r kind name rest; do
		case $kind in
		layer) allow[${name%:}]=" $rest " ;;
		header) owner[$name]=$rest ;;
		sql-layer) sql_layer=$name ;;
		allow-print) allowprint[$name]=1 ;;
		tree) tree[$name]=$rest ;;
		esac
	done < <(grep -v '^[[:space:]]*#' "$table")
	complain() { echo "$*"; bad=1; }

	local f layer rel
	local files=()
	for f in "$root"/src/*/*.[ch] "$root"/include/tl/*.h; do
		[ -e "$f" ] && files+=("$f")
	done
	for t in "${!tree[@]}"; do
		[ -d "$root/$t" ] || continue
		while IFS= read -r f; do files+=("$f"); done < <(find "$root/$t" -name '*.[ch]' | sort)
	done
	for d in "$root"/src/*/; do
		d=${d%/}
		[ -n "${allow[${d##*/}]+x}" ] || complain "src/${d##*/}: folder is not a layer: add 'layer ${d##*/}: ...' to tests/arch/layers.txt"
	done
	for f in "${files[@]}"; do
		rel=${f#"$root"/}
		case $rel in
		src/*) layer=${rel#src/}; layer=${layer%%/*} ;;
		include/tl/*)
			layer=${owner[${rel#include/tl/}]:-}
			if [ -z "$layer" ]; then
				complain "$rel: header not in tests/arch/layers.txt: add 'header ${rel#include/tl/} LAYER'"
				continue
			fi ;;
		*) layer=${tree[${rel%%/*}]} ;;
		esac
		[ -n "${allow[$layer]+x}" ] || continue # reported above as an unknown folder
		local n line inc
		while IFS=: read -r n line; do
			if [[ $line =~ \#[[:space:]]*include[[:space:]]*\"tl/([^\"]+)\" ]]; then
				inc=${BASH_REMATCH[1]}
				local o=${owner[$inc]:-}
				if [ -z "$o" ]; then
					complain "$rel:$n: includes unknown header tl/$inc: add 'header $inc LAYER' to tests/arch/layers.txt"
				elif [[ ${allow[$layer]} != *" $o "* ]]; then
					complain "$rel:$n: layer $layer may not include tl/$inc (layer $o; see tests/arch/layers.txt)"
				fi
			elif [[ $line =~ \#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
				inc=${BASH_REMATCH[1]}
				[ -e "$(dirname "$f")/$inc" ] ||
					complain "$rel:$n: \"$inc\" is not a header of this folder (a folder's own headers are for that folder only)"
			elif [[ $line =~ \#[[:space:]]*include[[:space:]]*\<(sqlite3|sqlite3ext)\.h\> ]]; then
				[ "$layer" = "$sql_layer" ] ||
					complain "$rel:$n: only src/$sql_layer speaks SQL: <${BASH_REMATCH[1]}.h> is not for layer $layer"
			fi
		done < <(grep -n '^[[:space:]]*#[[:space:]]*include' "$f")
		if [ "$layer" != cli ] && [ -z "${allowprint[$rel]+x}" ]; then
			while IFS=: read -r n line; do
				complain "$rel:$n: below cli nothing prints to stdout/stderr or ends the process: $line"
			done < <(grep -nE '(^|[^_a-zA-Z0-9.>])(printf|puts|putchar|perror|exit|_exit|_Exit|abort)[[:space:]]*\(|\b(stdout|stderr)\b' "$f" |
				grep -vE '^[0-9]+:[[:space:]]*(/?\*|//)')
		fi
	done
	return $bad
}

self_test() {
	local fails=0
	work=$(mktemp -d /tmp/tl-arch-XXXXXX)
	trap 'rm -rf "$work"' EXIT
	fresh() {
		rm -rf "$work/t"
		mkdir -p "$work/t/tests"
		cp -r "$here/../../src" "$here/../../include" "$here/../../parsers" "$work/t/"
		cp -r "$here" "$work/t/tests/arch"
	}
	expect() { # expect DESCRIPTION PATTERN: the check must fail saying PATTERN
		local out
		if out=$(check "$work/t"); then
			echo "FAIL: $1: the check passed"
			fails=1
		elif ! grep -q -- "$2" <<<"$out"; then
			echo "FAIL: $1: no line matching '$2' in:"
			echo "$out"
			fails=1
		else
			echo "ok: $1"
		fi
	}
	fresh
	if ! check "$work/t" >/dev/null; then
		echo "FAIL: the copy of the tree does not pass to begin with"
		return 1
	fi
	fresh; sed -i '0,/#include/s//#include "tl\/store.h"\n#include/' "$work/t/src/parse/engine.c"
	expect "parse includes store" "src/parse/engine.c:.*layer parse may not include tl/store.h"
	fresh; sed -i '0,/#include/s//#include "tl\/ingest.h"\n#include/' "$work/t/src/parse/reader.c"
	expect "parse includes ingest" "layer parse may not include tl/ingest.h"
	fresh; sed -i '0,/#include/s//#include <sqlite3.h>\n#include/' "$work/t/src/output/output.c"
	expect "output includes sqlite3.h" "src/output/output.c:.*only src/store speaks SQL"
	fresh; sed -i '0,/#include/s//#include "store-internal.h"\n#include/' "$work/t/src/analysis/gaps.c"
	expect "analysis reaches into the store's internals" "\"store-internal.h\" is not a header of this folder"
	fresh; sed -i '0,/#include/s//#include "tl\/ingest.h"\n#include/' "$work/t/include/tl/store.h"
	expect "a store header includes ingest" "include/tl/store.h:.*layer store may not include tl/ingest.h"
	fresh; echo '#include "tl/util.h"' >"$work/t/include/tl/unplaced.h"
	expect "a new header nobody placed" "include/tl/unplaced.h: header not in tests/arch/layers.txt"
	fresh; sed -i '0,/#include/s//#include "tl\/no-such-header.h"\n#include/' "$work/t/src/ingest/ingest.c"
	expect "an include of an unknown header" "includes unknown header tl/no-such-header.h: add 'header no-such-header.h LAYER'"
	fresh; mkdir -p "$work/t/parsers/hids" && printf '#include "tl/event.h"\n#include "tl/writer.h"\n' >"$work/t/parsers/hids/auditd.c"
	expect "a C parser includes the store's writer" "parsers/hids/auditd.c:2: layer parse may not include tl/writer.h"
	fresh; mkdir "$work/t/src/graph" && echo 'int x;' >"$work/t/src/graph/g.c"
	expect "a new folder nobody placed" "src/graph: folder is not a layer"
	fresh; printf 'void f(void);\nvoid f(void)\n{\n\tfprintf(stderr, "x");\n}\n' >>"$work/t/src/analysis/gaps.c"
	expect "analysis prints" "src/analysis/gaps.c:.*below cli nothing prints"
	fresh; printf 'void g(void);\nvoid g(void)\n{\n\texit(1);\n}\n' >>"$work/t/src/store/store.c"
	expect "the store exits" "src/store/store.c:.*below cli nothing prints"
	return $fails
}

if [ "${1:-}" = --self-test ]; then
	self_test
	exit
fi
out=$(check "${1:-$here/../..}")
rc=$?
[ -n "$out" ] && echo "$out"
[ $rc -eq 0 ] && echo "layers: the include rules hold"
exit $rc
