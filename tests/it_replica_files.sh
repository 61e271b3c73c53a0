#!/usr/bin/env bash
# it_replica_files.sh - the replica's files and folders hold personal data
# and a private key, so they are private whatever the umask:
#
#   - "tongxin join" under umask 022 creates the replica and its credential
#     0600, and the -wal and -shm files SQLite makes beside it get the same
#     mode;
#   - folders missing on the way are created 0700;
#   - an existing folder open to other users gets a one-line warning and
#     keeps its mode (a user's folder is never changed);
#   - a replica an older version left 0644 is made 0600 when it is opened.
#
# No server runs.
. "$(dirname "$0")/lib.sh"

D=$TX_TMP
tx() { "$TONGXIN" "$@"; }
# join_022 PATH: tongxin join under umask 022, output in $D/join.out.
join_022() {
	run "$D/join.out" bash -c 'umask 022 && exec "$0" --replica "$1" join "$2"' \
		"$TONGXIN" "$1" "$D/office.bundle"
}

"$TONGXIND" init "$D/srv" --street 测试街道 --code JD01 --listen 127.0.0.1:1 >/dev/null
"$TONGXIND" enroll "$D/srv" --org JD01 --device office --out "$D/office.bundle" >/dev/null

step "a new replica and its credential are 0600 under umask 022"
join_022 "$D/r.db"
expect_rc 0 "join"
expect_mode "$D/r.db" 600
expect_mode "$D/r.db.credential" 600
expect_not_contains "$D/join.out" "open to other users"

step "the -wal and -shm files follow the replica's mode"
# A second connection holds the database open, so SQLite keeps its -wal and -shm.
rm -f "$D/hold"
mkfifo "$D/hold"
bg bash -c 'umask 022 && sqlite3 "$0" < "$1"' "$D/r.db" "$D/hold"
exec 3>"$D/hold"
echo "SELECT count(*) FROM meta;" >&3
(umask 022 && "$TONGXIN" --replica "$D/r.db" -q org list >/dev/null)
for _ in $(seq 50); do
	[ -e "$D/r.db-wal" ] && [ -e "$D/r.db-shm" ] && break
	sleep 0.1
done
[ -e "$D/r.db-wal" ] || fail "no -wal file while the replica is open"
expect_mode "$D/r.db-wal" 600
expect_mode "$D/r.db-shm" 600
exec 3>&-

step "folders: made 0700, an open one warned about and left alone; old 0644 files tightened"
join_022 "$D/new/sub/r.db"
expect_rc 0 "join into folders that do not exist"
expect_mode "$D/new" 700
expect_mode "$D/new/sub" 700
expect_mode "$D/new/sub/r.db" 600
mkdir -m 755 "$D/open"
run "$D/join3.out" tx --replica "$D/open/r.db" join "$D/office.bundle"
expect_rc 0 "join into an open folder"
expect_contains "$D/join3.out" "open to other users"
[ "$(grep -c 'open to other users' "$D/join3.out")" = 1 ] || fail "the warning is not one line"
expect_mode "$D/open" 755
expect_mode "$D/open/r.db" 600
chmod 644 "$D/open/r.db"
run "$D/status2.out" tx --replica "$D/open/r.db" status
expect_rc 0 "status on an old 0644 replica"
expect_mode "$D/open/r.db" 600

step "done"
