#!/usr/bin/env bash
# it_web_first_sync.sh - a new office's first sync from the web desk leaves
# the desk's name search ready (issue 11):
#
#   A first pull of several pages into an empty replica drops the
#   replica's secondary indexes and the desk's name index (ui_member_gram
#   and its triggers) and builds the replica's own back after the last
#   page. The desk's sync thread builds its name index right after the
#   sync, off the desk's loop, so the clerk's first search after joining
#   does not pay for it (and finds every member pulled).
#
# A street administrator imports 6,000 members (two pull pages of 5,000
# rows) into a community and pushes them; the community's new office
# replica is joined, its desk started (the name index is made on the empty
# replica), and the first sync is run from the desk. Then, before any
# roster request: the index's triggers are there, it holds every member's
# name pieces, no dropped index is pending, and a name search finds one
# member among the 6,000.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || fail "curl is needed (scripts/deps.sh installs it)"
N=6000
D=$TX_TMP
chmod 700 "$D"
tx() { "$TONGXIN" "$@"; }

step "a street with one community, $N members imported by the street and pushed"
"$TONGXIND" init "$D/srv" --street 测试街道 --code JD01 --listen "$TX_ADDR" >/dev/null ||
	fail "tongxind init"
"$TONGXIND" enroll "$D/srv" --org JD01 --device admin --admin --out "$D/admin.bundle" \
	>/dev/null || fail "enroll admin"
start_server "$D/srv"
A=(--replica "$D/admin.db")
tx "${A[@]}" join "$D/admin.bundle" >/dev/null || fail "join admin"
tx "${A[@]}" -q sync || fail "first sync of the admin"
tx "${A[@]}" -q org add --code SQ01 --name 和平社区 --kind community || fail "org add SQ01"
for b in 1 2; do
	tx "${A[@]}" -q org add --code "SQ01-0$b" --name "第${b}党支部" --kind branch \
		--parent SQ01 || fail "org add SQ01-0$b"
done
# lib.sh member_csv: 党员 + k spelt A-J, branches SQ01-01 and SQ01-02.
member_csv "$N" "SQ01-0%d" 2 >"$D/in.csv"
run "$D/import.out" tx "${A[@]}" member import "$D/in.csv"
expect_rc 0 "member import"
tx "${A[@]}" -q sync || fail "push of the import"

step "the community's new office: joined, its desk started on the empty replica"
"$TONGXIND" enroll "$D/srv" --org SQ01 --device office --out "$D/office.bundle" >/dev/null ||
	fail "enroll office"
DB=$D/office.db
q() { sqlite3 "$DB" "$1"; }
tx --replica "$DB" join "$D/office.bundle" >/dev/null || fail "join office"
UI_PORT=$(free_port)
B=http://127.0.0.1:$UI_PORT
desk_start 10 --replica "$DB" ui --listen "127.0.0.1:$UI_PORT"
desk_login
[ "$(q "SELECT count(*) FROM sqlite_schema WHERE name = 'ui_member_gram_upd'")" = 1 ] ||
	fail "the desk made no name index on start"

step "the first sync, from the desk"
got=$(curl -s -o "$D/body" -w '%{http_code}' -X POST "${J[@]}" -H "X-Tongxin-CSRF: $CSRF" \
	"$B/api/sync")
[ "$got" = 202 ] || fail "POST /api/sync answered $got: $(cat "$D/body")"
for _ in $(seq 600); do
	curl -s -o "$D/body" "${J[@]}" "$B/api/sync"
	grep -q '"code":"running"' "$D/body" || break
	sleep 0.1
done
expect_contains "$D/body" '"code":"done"'
[ "$(q "SELECT count(*) FROM member")" = "$N" ] || fail "the office holds $(q "SELECT count(*) FROM member") members, want $N"

step "before any roster request: the name index is whole and nothing is pending"
[ "$(q "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'ui_member_gram_%'")" = 3 ] ||
	fail "the desk's name index was not rebuilt after the first sync"
[ "$(q "SELECT count(DISTINCT mrow) FROM ui_member_gram")" = "$N" ] ||
	fail "the name index covers $(q "SELECT count(DISTINCT mrow) FROM ui_member_gram") members, want $N"
[ "$(q "SELECT count(*) FROM meta WHERE key = 'pull_indexes'")" = 0 ] ||
	fail "the replica's dropped indexes are still pending after the sync"
[ "$(q "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE 'sqlite_%'")" -gt 0 ] ||
	fail "the replica has no secondary index after its first pull"

step "a name search finds one member of $N"
got=$(curl -s -o "$D/body" -w '%{http_code}' "${J[@]}" --get --data-urlencode "q=党员AECDB" \
	"$B/api/members")
[ "$got" = 200 ] || fail "GET /api/members?q= answered $got: $(cat "$D/body")"
python3 - "$D/body" <<'EOF' || fail "the search did not find 党员AECDB alone: $(head -c 600 "$D/body")"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
rows = d["rows"]
assert [m["name"] for m in rows] == ["党员AECDB"], rows
EOF

kill -TERM "$UI_PID"
rc=0
wait "$UI_PID" || rc=$?
[ "$rc" = 0 ] || fail "the desk exited $rc after SIGTERM"
stop_server
step "ok"
