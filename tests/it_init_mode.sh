#!/bin/bash
# it_init_mode.sh - the server's files are private whatever the umask
# (issue 8): tongxind init into an existing 0755 folder under umask 022
# leaves the folder 0700 with a warning that names its old mode; the
# database, its WAL, the keys, the certificates and tongxind.conf are 0600;
# an enrolment bundle is 0600; a new folder is made 0700 without a warning.
#
# Run by ctest (TONGXIND, TONGXIN, TX_PROBE set). TX_KEEP=1 keeps the files.

. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

D=$TX_TMP
umask 022

step "init into an existing 0755 folder under umask 022"
mkdir -m 0755 "$D/srv"
expect_mode "$D/srv" 755
run "$D/init.out" "$TONGXIND" init "$D/srv" --street 和平街道 --listen "$TX_ADDR"
expect_rc 0 "tongxind init into an existing folder"
expect_contains "$D/init.out" "warning: $D/srv had mode 0755; changed it to 0700"
expect_mode "$D/srv" 700
for f in tongxind.db tongxind.conf ca.key ca.crt server.key server.crt; do
	[ -f "$D/srv/$f" ] || fail "tongxind init did not make $f"
	expect_mode "$D/srv/$f" 600
done
for f in "$D/srv"/*; do
	expect_mode "$f" 600
done

step "an enrolment bundle is 0600"
run "$D/enroll.out" "$TONGXIND" enroll "$D/srv" --org JD01 --device admin1 --admin --out "$D/admin.bundle"
expect_rc 0 "tongxind enroll"
expect_mode "$D/admin.bundle" 600

step "what serve creates (WAL, shared memory) is 0600 too"
start_server "$D/srv"
run "$D/join.out" "$TONGXIN" --replica "$D/a.db" join "$D/admin.bundle"
expect_rc 0 "tongxin join"
run "$D/sync.out" "$TONGXIN" --replica "$D/a.db" sync
expect_rc 0 "tongxin sync"
for f in "$D/srv"/*; do
	expect_mode "$f" 600
done
stop_server
for f in "$D/srv"/*; do
	expect_mode "$f" 600
done
expect_mode "$D/srv" 700

step "init into a new folder: 0700, no warning"
run "$D/init2.out" "$TONGXIND" init "$D/new" --street 和平街道 --listen "$TX_ADDR"
expect_rc 0 "tongxind init into a new folder"
expect_not_contains "$D/init2.out" "warning"
expect_mode "$D/new" 700
for f in "$D/new"/*; do
	expect_mode "$f" 600
done

step "an existing private folder is left as it is"
mkdir -m 0700 "$D/private"
run "$D/init3.out" "$TONGXIND" init "$D/private" --street 和平街道 --listen "$TX_ADDR"
expect_rc 0 "tongxind init into an existing 0700 folder"
expect_not_contains "$D/init3.out" "warning"
expect_mode "$D/private" 700
step "done"
