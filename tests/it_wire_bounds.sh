#!/bin/bash
# it_wire_bounds.sh - every string and count a push carries is bounded
# before the store sees it (issue 8, common/bounds.h).
#
# A modified client (tx_probe push) with a legitimate office certificate
# sends pushes just over each limit: a 0.4 MB operator name (which used to
# grow the database by 154 MiB through the audit rows), a row id of 37
# bytes, 33 columns, a 20001-byte value, 1025 transactions, 2001 changes.
# Each is refused with ERR_TOO_LARGE (13) naming the field; nothing is
# stored (txn_log, audit and conflict unchanged; the database and its WAL
# grow by less than 64 KiB, what a Hello's bookkeeping writes). Pushes at
# each limit are answered (the store judges them). A real client syncs
# afterwards.
#
# Run by ctest (TONGXIND, TONGXIN, TX_PROBE set). TX_KEEP=1 keeps the files.

. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

D=$TX_TMP
SRV=$D/srv

q() {
	sqlite3 "$SRV/tongxind.db" "$1"
}

db_bytes() {
	local n=0 f
	for f in "$SRV/tongxind.db" "$SRV/tongxind.db-wal"; do
		[ -f "$f" ] && n=$((n + $(stat -c %s "$f")))
	done
	echo "$n"
}

state() {
	echo "$(q "SELECT count(*) FROM txn_log") $(q "SELECT count(*) FROM audit") $(q "SELECT count(*) FROM conflict")"
}

step "a street and an office device"
street_up "$SRV" "$D/a.db"

# over LABEL FIELD ARGS...: a push over a limit is refused naming FIELD, nothing stored.
seq=1
over() {
	local label=$1 field=$2 before bytes0 grown
	shift 2
	before=$(state)
	bytes0=$(db_bytes)
	run "$D/over.out" "$TX_PROBE" push "$TX_ADDR" --bundle "$D/admin.bundle" --seq $seq \
		--expect error=13 "$@"
	[ "$TX_RC" -eq 0 ] || { cat "$D/over.out" >&2; fail "$label: not refused with ERR_TOO_LARGE"; }
	expect_contains "$D/over.out" "$field"
	[ "$(state)" = "$before" ] || fail "$label: txn_log/audit/conflict went from $before to $(state)"
	grown=$(($(db_bytes) - bytes0))
	[ "$grown" -lt 65536 ] || fail "$label: the database grew by $grown bytes"
	step "  $label: $(sed -n 's/^error code=13 message=//p' "$D/over.out") (database +$grown bytes)"
}

# at LABEL ARGS...: a push at the limits is answered with a push result.
at() {
	local label=$1
	shift
	run "$D/at.out" "$TX_PROBE" push "$TX_ADDR" --bundle "$D/admin.bundle" --seq $seq \
		--expect reply "$@"
	[ "$TX_RC" -eq 0 ] || { cat "$D/at.out" >&2; fail "$label: a push at the limit was not answered"; }
	seq=$((seq + 100000))
}

step "pushes over each limit are refused and change nothing"
over "a 0.4 MB operator name" "operator_name is 409600 bytes; at most 64 are accepted" \
	--operator-bytes 409600
over "a 65-byte operator name" "operator_name is 65 bytes" --operator-bytes 65
over "a 37-byte row id" "change 0: row_id is 37 bytes; at most 36" --changes 1 --row-id-bytes 37
over "33 columns" "cols has 33 entries; at most 32" --changes 1 --cols 33 --value-bytes 1
over "a 20001-byte value" "values[0] is 20001 bytes; at most 20000" --changes 1 --cols 1 \
	--value-bytes 20001
over "1025 transactions" "txns has 1025 entries; at most 1024" --txns 1025
over "2001 changes" "changes has 2001 entries; at most 2000" --changes 2001

step "pushes at each limit are answered"
at "a 64-byte operator name" --operator-bytes 64
at "a 36-byte row id, 32 columns of 20000 bytes" --changes 1 --cols 32 --value-bytes 20000
at "1024 transactions" --txns 1024
at "2000 changes" --changes 2000

step "a real client syncs afterwards"
run "$D/sync.out" "$TONGXIN" --replica "$D/a.db" sync
expect_rc 0 "the sync after the refusals"
server_alive || fail "the server died"
stop_server
step "done"
