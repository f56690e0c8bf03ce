#!/usr/bin/env bash
# The detection matrix: every fixture of every format is detected as its own
# format, and every file of ../shared/corpus is detected as the format
# tests/conformance/detection-expect.tsv names for it, or (where it says '-')
# is unsupported or claimed by a format of its own family: never by another
# family. Prints the matrix (file, expected, got, verdict) and fails on any
# misclaim or miss. The fixtures part always runs; without the corpus the
# test then exits 77 (skipped), saying so.
. "$(dirname "$0")/../cli/lib.sh"
CORPUS=${TL_CORPUS:-$SRC/../shared/corpus}
EXPECT=$SRC/tests/conformance/detection-expect.tsv
case $TL in /*) ;; *) TL=$PWD/$TL ;; esac

declare -A FAM=()
while read -r name fam _; do FAM[$name]=$fam; done < <("$TL" formats | tail -n +2)
[ "${#FAM[@]}" -gt 0 ] || { fail "tl formats lists no format"; finish; exit 1; }

row() { printf '%-72s %-16s %-16s %s\n' "$1" "$2" "$3" "$4"; }

# judge FILE FAMILY WANT GOT: print the row; ok or fail
judge() {
	local file=$1 family=$2 want=$3 got=$4 verdict
	if [ "$want" != "-" ]; then
		if [ "$got" = "$want" ]; then verdict=ok
		elif [ "$got" = "-" ]; then verdict=MISSED
		elif [ "${FAM[$got]:-?}" = "$family" ]; then verdict=WRONG
		else verdict=MISCLAIM
		fi
	else
		if [ "$got" = "-" ]; then verdict="ok (unsupported)"
		elif [ "${FAM[$got]:-?}" = "$family" ]; then verdict="ok (own family)"
		else verdict=MISCLAIM
		fi
	fi
	row "$file" "$want" "$got" "$verdict"
	case $verdict in ok*) PASS=$((PASS + 1)) ;; *) FAILED=$((FAILED + 1)) ;; esac
}

# detect FILE... -> "FORMAT<TAB>FILE" lines, in argument order
detect() { "$TL" detect --brief "$@" 2>"$WORK/detect.err"; [ $? -le 4 ] || cat "$WORK/detect.err" >&2; }

got() { local g=${GOT[$1]:-?}; echo "${g%%$'\t'*}"; }

echo "== fixtures: each detected as its own format"
row "file" "expected" "got" "verdict"
mapfile -t FIX < <(cd "$SRC" && find fixtures -mindepth 3 -maxdepth 3 -type f ! -name '*.expect*' | sort)
declare -a FIXFILES=()
for f in "${FIX[@]}"; do
	base=${f##*/}
	[ -f "$SRC/${f%/*}/${base%%.*}.expect.jsonl" ] && FIXFILES+=("$f")
done
mapfile -t GOT < <(cd "$SRC" && detect "${FIXFILES[@]}")
for i in "${!FIXFILES[@]}"; do
	f=${FIXFILES[$i]}
	IFS=/ read -r _ family format _ <<<"$f"
	judge "$f" "$family" "$format" "$(got "$i")"
done

if [ ! -d "$CORPUS" ]; then
	echo "$PASS passed, $FAILED failed"
	[ "$FAILED" -eq 0 ] || exit 1
	echo "SKIP: corpus part: no corpus at $CORPUS (set TL_CORPUS to point at shared/corpus)"
	exit 77
fi

declare -A WANT=()
while IFS=$'\t' read -r path want _; do
	case $path in ''|'#'*) continue ;; esac
	WANT[$path]=$want
	if [ "$want" != "-" ] && [ -z "${FAM[$want]+x}" ]; then fail "$EXPECT: '$want' is not a tl format"; fi
	[ -e "$CORPUS/$path" ] || echo "note: $path (in $(basename "$EXPECT")) is not in the corpus"
done <"$EXPECT"

echo "== corpus: expected format, or unsupported / own family; never another family"
row "file" "expected" "got" "verdict"
mapfile -t FILES < <(cd "$CORPUS" && find . -mindepth 3 -type f ! -name '*-expected.json' | sed 's|^\./||' | sort)
mapfile -t GOT < <(cd "$CORPUS" && detect "${FILES[@]}")
[ "${#GOT[@]}" -eq "${#FILES[@]}" ] || fail "tl detect answered ${#GOT[@]} lines for ${#FILES[@]} files"
for i in "${!FILES[@]}"; do
	f=${FILES[$i]}
	IFS=/ read -r family source _ <<<"$f"
	want=${WANT[$f]:-${WANT[$family/$source]:--}}
	judge "$f" "$family" "$want" "$(got "$i")"
done
finish
