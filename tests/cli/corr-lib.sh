# Helpers of the correlation tests (t1600, t1665-t1669): sourced after lib.sh.
# proj CASE OUT writes what correlation concluded without any id in it:
# bindings by content, attributions and conflicts joined to the bindings they
# cite, events named by file and line (event ids follow the ingest order),
# the summary, and what tl bindings and the text timeline show with the
# binding numbers blanked. Two cases that concluded the same give the same
# file, whatever ids they gave. ids CASE OUT: the bindings with their ids.
EVQ() { echo "(SELECT f.path || ':' || e.line FROM events e JOIN evidence_files f ON f.id = e.file_id WHERE e.id = $1)"; }
proj() {
	local c=$1
	{
		echo "## bindings"
		"$TL" sql "$c" "SELECT b.kind, b.subject, b.value, b.start_ts, b.end_ts, b.end_rule, b.source, $(EVQ b.start_event_id), $(EVQ b.end_event_id), b.events, b.evidence FROM bindings b ORDER BY 1, 2, 4, 3, 7, 11"
		echo "## attributions"
		"$TL" sql "$c" "SELECT $(EVQ a.event_id), a.kind, a.value, a.via, b.kind, b.subject, b.value, b.start_ts, b.source, b.evidence, v.subject, v.value, v.start_ts FROM attributions a JOIN bindings b ON b.id = a.binding_id LEFT JOIN bindings v ON v.id = a.via_binding_id ORDER BY 1, 2"
		echo "## conflicts"
		"$TL" sql "$c" "SELECT c.kind, c.subject, c.start_ts, c.end_ts, c.events, a.value, a.start_ts, a.evidence, b.value, b.start_ts, b.evidence FROM binding_conflicts c JOIN bindings a ON a.id = c.binding_a JOIN bindings b ON b.id = c.binding_b ORDER BY 1, 2, 3, 4, 6, 7, 9, 10"
		echo "## events left unattributed by a conflict"
		"$TL" sql "$c" "SELECT $(EVQ x.event_id), x.kind, c.subject, c.start_ts FROM attribution_conflicts x JOIN binding_conflicts c ON c.id = x.conflict_id ORDER BY 1, 2"
		echo "## summary"
		"$TL" sql "$c" "SELECT bindings, conflicts, attributed_user, attributed_host, conflicted, skipped FROM correlation_state"
		echo "## tl bindings"
		"$TL" bindings "$c" | sed -E 's/^[0-9]+ +/N /; s/^conflict [0-9]+:/conflict N:/; s/#[0-9]+/#N/g' | sort
		echo "## timeline"
		"$TL" timeline "$c" | sed -E 's/#[0-9]+/#N/g' | sort
	} >"$2" 2>&1
}
ids() {
	"$TL" sql "$1" "SELECT id, kind, subject, value, start_ts, end_ts, end_rule, source, start_event_id, end_event_id, events, evidence FROM bindings ORDER BY id" >"$2"
}
corr_mode() { "$TL" sql "$1" "SELECT mode FROM correlation_state" | tail -n 1; }
