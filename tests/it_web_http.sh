#!/usr/bin/env bash
# it_web_http.sh - the web desk's security, request by request (curl), on a
# real office replica synced from a real tongxind:
#
#   - --listen on a non-loopback address is refused without
#     --insecure-listen (exit 2), and --help says there is no TLS;
#   - every request without the session cookie gets 401 (JSON), the token
#     link sets an HttpOnly SameSite=Strict cookie and redirects to /, and
#     works once;
#   - a foreign Host header gets 403 (DNS rebinding);
#   - a POST without the CSRF header, with a wrong one, or with a foreign
#     Origin gets 403 and changes nothing;
#   - a body over 256 KiB gets 413;
#   - every response carries the Content-Security-Policy, nosniff and
#     no-referrer; the API's answers are not cached; no inline script in
#     the page;
#   - the API: a member with a wrong check digit is refused (422, the field
#     and the reason named) and the replica is byte for byte unchanged
#     (sqlite3 .dump digest); the same member with the right digit is
#     saved and found; JSON is typed;
#   - SIGTERM stops the desk with exit 0.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || fail "curl is needed (scripts/deps.sh installs it)"
D=$TX_TMP
chmod 700 "$D"
tx() { "$TONGXIN" "$@"; }

step "set up: a street, a community with a branch, an office replica"
"$TONGXIND" init "$D/srv" --street 测试街道 --code JD01 --listen "$TX_ADDR" >/dev/null
"$TONGXIND" enroll "$D/srv" --org JD01 --device admin --admin --out "$D/admin.bundle" >/dev/null
start_server "$D/srv"
A=(--replica "$D/admin.db")
tx "${A[@]}" join "$D/admin.bundle" >/dev/null
tx "${A[@]}" -q sync
tx "${A[@]}" -q org add --code SQ01 --name 和平社区 --kind community
tx "${A[@]}" -q org add --code SQ01-01 --name 第一党支部 --kind branch --parent SQ01
tx "${A[@]}" -q sync
"$TONGXIND" enroll "$D/srv" --org SQ01 --device office --out "$D/office.bundle" >/dev/null
DB=$D/office.db
tx --replica "$DB" join "$D/office.bundle" >/dev/null
tx --replica "$DB" -q sync
BRANCH=$(sqlite3 "$DB" "SELECT id FROM org WHERE code = 'SQ01-01'")

step "--listen elsewhere than loopback needs --insecure-listen"
run "$D/insecure.out" tx --replica "$DB" ui --listen 0.0.0.0:0
expect_rc 2 "ui --listen 0.0.0.0:0"
expect_contains "$D/insecure.out" "--insecure-listen"
run "$D/help.out" tx ui --help
expect_rc 0 "ui --help"
expect_contains "$D/help.out" "TLS"

step "start the desk"
UI_PORT=$(free_port)
B=http://127.0.0.1:$UI_PORT
desk_start 10 --replica "$DB" ui --listen "127.0.0.1:$UI_PORT"

# status METHOD PATH [curl args...]: the HTTP status alone.
status() {
	local m=$1 p=$2
	shift 2
	curl -s -o "$D/body" -D "$D/headers" -w '%{http_code}' -X "$m" "$@" "$B$p"
}
expect_status() {
	local want=$1 got
	shift
	got=$(status "$@")
	[ "$got" = "$want" ] || fail "$* answered $got, want $want: $(cat "$D/body")"
}

step "401 without the cookie, on the page and on the API"
expect_status 401 GET /
expect_contains "$D/headers" "Content-Type: application/json"
expect_contains "$D/body" '"error":"unauthorized"'
expect_status 401 GET /api/dashboard
expect_status 401 GET /app.js
expect_status 401 POST /api/members --data name=x
expect_status 401 GET "/?token=0000"
expect_contains "$D/headers" "Content-Security-Policy: default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'"

step "the token link sets an HttpOnly SameSite=Strict cookie, once"
expect_status 403 GET "/?token=${URL##*token=}" -H "Host: evil.example:$UI_PORT"
got=$(curl -s -o /dev/null -D "$D/login" -w '%{http_code}' -c "$D/jar" "$URL")
[ "$got" = 302 ] || fail "the token link answered $got, want 302"
expect_contains "$D/login" "Location: /"
grep -i '^Set-Cookie:' "$D/login" >"$D/cookie" || fail "no Set-Cookie"
expect_contains "$D/cookie" "HttpOnly"
expect_contains "$D/cookie" "SameSite=Strict"
got=$(curl -s -o /dev/null -w '%{http_code}' "$URL")
[ "$got" = 401 ] || fail "the token link worked twice ($got)"
# The cookie as a header: curl's jar would follow a changed Host header.
COOKIE=$(sed -n 's/^Set-Cookie: \([^;]*\);.*/\1/ip' "$D/login" | tr -d '\r')
J=(-H "Cookie: $COOKIE")

step "the page and the API with the cookie"
expect_status 200 GET / "${J[@]}"
expect_contains "$D/body" '<script type="module" src="/app.js"></script>'
if grep -qiE '<script>|<script [^>]*>[^<]' "$D/body" || grep -qi ' on[a-z]*=' "$D/body"; then
	fail "inline script in the page"
fi
for h in "Content-Security-Policy: default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'" \
	"X-Content-Type-Options: nosniff" "Referrer-Policy: no-referrer"; do
	expect_contains "$D/headers" "$h"
done
for a in /app.js /api.js /dom.js /style.css /favicon.svg; do
	expect_status 200 GET "$a" "${J[@]}"
	expect_contains "$D/headers" "X-Content-Type-Options: nosniff"
done
expect_status 200 GET /api/dashboard "${J[@]}"
expect_contains "$D/headers" "Cache-Control: no-store"
expect_contains "$D/headers" "Content-Security-Policy: default-src 'self'"
python3 - "$D/body" <<'EOF' || fail "dashboard JSON is not typed: $(cat "$D/body")"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
assert d["org_code"] == "SQ01" and d["org_name"] == "和平社区", d
assert isinstance(d["pending_txns"], int) and isinstance(d["last_contact_ms"], int), d
assert d["role"] == {"code": "office", "label": "社区"}, d["role"]
# The branch holds no meetings but no members either: nothing is due from it (issue 10:
# a branch with no members is not flagged, as the compliance report says).
assert d["branches"] == 1 and d["members"] == 0 and d["branches_behind"] == 0, d
EOF
expect_status 404 GET /nothing "${J[@]}"
expect_status 404 GET /api/nothing "${J[@]}"

step "403 for a foreign Host"
expect_status 403 GET /api/dashboard "${J[@]}" -H "Host: evil.example:$UI_PORT"
expect_contains "$D/body" '"error":"forbidden_host"'
expect_status 403 GET /api/dashboard "${J[@]}" -H "Host: 127.0.0.1:1"
expect_status 200 GET /api/dashboard "${J[@]}" -H "Host: localhost:$UI_PORT"

CSRF=$(curl -s "${J[@]}" "$B/api/session" | python3 -c 'import json, sys; print(json.load(sys.stdin)["csrf"])')
[ ${#CSRF} = 64 ] || fail "no CSRF token from /api/session"
expect_status 405 DELETE /api/dashboard "${J[@]}" -H "X-Tongxin-CSRF: $CSRF"
digest() { sqlite3 "$DB" .dump | sha256sum; }
FORM=(--data-urlencode name=张三 --data-urlencode gender=男 --data-urlencode ethnicity=汉族
	--data-urlencode education=本科 --data-urlencode category=full --data-urlencode "org_id=$BRANCH"
	--data-urlencode join_date=2000-07-01)

step "403 for a state change without the CSRF header, a wrong one, or a foreign Origin"
D0=$(digest)
expect_status 403 POST /api/members "${J[@]}" "${FORM[@]}" --data id_number=110105198002030051
expect_contains "$D/body" '"error":"csrf"'
# A wrong token: the right one with its last digit changed (to 1 when it is 0).
WRONG=${CSRF%?}0
[ "$WRONG" != "$CSRF" ] || WRONG=${CSRF%?}1
expect_status 403 POST /api/members "${J[@]}" -H "X-Tongxin-CSRF: $WRONG" "${FORM[@]}" \
	--data id_number=110105198002030051
expect_status 403 POST /api/members "${J[@]}" -H "X-Tongxin-CSRF: $CSRF" -H "Origin: http://evil.example" \
	"${FORM[@]}" --data id_number=110105198002030051
expect_status 403 POST /api/sync "${J[@]}" -H "Origin: null" -H "X-Tongxin-CSRF: $CSRF"
[ "$(digest)" = "$D0" ] || fail "a refused request changed the replica"

step "413 for a body over 256 KiB"
head -c 300000 /dev/zero | tr '\0' a >"$D/big"
expect_status 413 POST /api/members "${J[@]}" -H "X-Tongxin-CSRF: $CSRF" --data-binary @"$D/big"
expect_contains "$D/headers" "Content-Security-Policy: default-src 'self'"
head -c 2000000 /dev/zero | tr '\0' a >"$D/huge"
expect_status 413 POST /api/members "${J[@]}" -H "X-Tongxin-CSRF: $CSRF" --data-binary @"$D/huge"
[ "$(digest)" = "$D0" ] || fail "a refused body changed the replica"

step "a wrong check digit is named, and changes nothing"
OK=(-H "X-Tongxin-CSRF: $CSRF" -H "Origin: $B")
expect_status 200 POST /api/members/check "${J[@]}" "${OK[@]}" "${FORM[@]}" --data id_number=110105198002030050
expect_contains "$D/body" '"ok":false'
expect_contains "$D/body" '"field":"id_number"'
expect_contains "$D/body" '校验位错误'
expect_status 422 POST /api/members "${J[@]}" "${OK[@]}" "${FORM[@]}" --data id_number=110105198002030050
expect_contains "$D/body" '"field":"id_number"'
expect_status 422 POST /api/members "${J[@]}" "${OK[@]}" --data-urlencode name=李四 --data gender=male
expect_contains "$D/body" '"error":"missing"'
expect_status 400 POST /api/members "${J[@]}" "${OK[@]}" --data hobby=x
[ "$(digest)" = "$D0" ] || fail "a refused member changed the replica"

step "the member rules of GB 11643 / GB/T 2260 and of names, in Chinese, and nothing changed"
# FORM's name comes first: a later name= overrides it (the desk takes the last value).
idn() {
	python3 -c 'import sys; s = sys.argv[1]; w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
print(s + "10X98765432"[sum(int(a) * b for a, b in zip(s, w)) % 11])' "$1"
}
expect_status 422 POST /api/members "${J[@]}" "${OK[@]}" "${FORM[@]}" --data id_number=110105198002030051 \
	--data-urlencode 'name=<b>张三</b>'
expect_contains "$D/body" '"field":"name"'
expect_contains "$D/body" '只能由汉字'
expect_status 422 POST /api/members "${J[@]}" "${OK[@]}" "${FORM[@]}" --data id_number=110105198002030051 \
	--data-urlencode 'name=　　'
expect_contains "$D/body" '"field":"name"'
expect_contains "$D/body" '不能只有空白字符'
# A woman's ID (even 17th digit) for 张三, a man.
expect_status 422 POST /api/members "${J[@]}" "${OK[@]}" "${FORM[@]}" --data "id_number=$(idn 11010519800203004)"
expect_contains "$D/body" '第17位表明性别为女'
# A region code GB/T 2260 never had (101376).
expect_status 422 POST /api/members "${J[@]}" "${OK[@]}" "${FORM[@]}" --data "id_number=$(idn 10137619800203005)"
expect_contains "$D/body" 'GB/T 2260'
expect_contains "$D/body" '101376'
[ "$(digest)" = "$D0" ] || fail "a member refused by the new rules changed the replica"
expect_status 200 POST /api/members/check "${J[@]}" "${OK[@]}" "${FORM[@]}" --data id_number=110105198002030051
expect_contains "$D/body" '"ok":true'
[ "$(digest)" = "$D0" ] || fail "a check (dry run) changed the replica"

step "the right digit is saved (one outbox transaction) and found"
expect_status 201 POST /api/members "${J[@]}" "${OK[@]}" "${FORM[@]}" --data id_number=110105198002030051
MID=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$D/body")
[ "$(sqlite3 "$DB" "SELECT name, gender, education, birth_date FROM member WHERE id = '$MID'")" = \
	"张三|male|bachelor|1980-02-03" ] || fail "the saved member: $(sqlite3 "$DB" "SELECT * FROM member")"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM outbox")" = 1 ] || fail "not one outbox transaction"
expect_status 422 POST /api/members "${J[@]}" "${OK[@]}" "${FORM[@]}" --data id_number=110105198002030051
expect_contains "$D/body" '已登记'
expect_status 200 GET "/api/members?q=%E5%BC%A0&limit=5" "${J[@]}"
python3 - "$D/body" "$MID" <<'EOF' || fail "roster search: $(cat "$D/body")"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
assert d["total"] == 1 and d["rows"][0]["id"] == sys.argv[2], d
assert d["rows"][0]["gender"] == {"code": "male", "label": "男"}, d
assert d["rows"][0]["retired"] is False, d
EOF
expect_status 200 GET "/api/members?q=1101051980&limit=5" "${J[@]}"
expect_contains "$D/body" '"total":1'
expect_status 422 GET "/api/members?limit=1000" "${J[@]}"
expect_status 200 GET "/api/member?id=$MID" "${J[@]}"
expect_contains "$D/body" '"label":"公民身份号码"'
expect_contains "$D/body" '"display":"大学本科"'
expect_status 404 GET "/api/member?id=nothing" "${J[@]}"

step "sync from the desk: the change is applied"
expect_status 202 POST /api/sync "${J[@]}" "${OK[@]}"
for _ in $(seq 100); do
	status GET /api/sync "${J[@]}" >/dev/null
	grep -q '"code":"running"' "$D/body" || break
	sleep 0.1
done
expect_contains "$D/body" '"code":"done"'
expect_contains "$D/body" '"status":{"code":"applied","label":"已应用"}'

step "member edit, steps and organisations: 422 naming the item, nothing changed"
SQ=$(sqlite3 "$DB" "SELECT id FROM org WHERE code = 'SQ01'")
D1=$(digest)
refuse() {   # refuse FIELD PATH FORM...: 422 naming FIELD
	local field=$1 p=$2
	shift 2
	expect_status 422 POST "$p" "${J[@]}" "${OK[@]}" "$@"
	expect_contains "$D/body" "\"field\":\"$field\""
}
refuse id_number /api/member/edit --data "id=$MID" --data id_number=110105198002030050
expect_contains "$D/body" '校验位错误'
refuse id /api/member/edit --data phone=13900000000
refuse name /api/member/edit --data "id=$MID" --data name=
refuse flow_to /api/member/mobile --data "id=$MID"
refuse lost_since /api/member/lost --data "id=$MID" --data since=2099-01-01
refuse report_org_id /api/member/report --data "id=$MID" --data "community=$BRANCH"
refuse kind /api/orgs --data "parent_id=$SQ" --data kind=group --data code=X1 --data-urlencode name=直属小组
expect_contains "$D/body" '社区党委之下不能设党小组'
refuse kind /api/orgs --data "parent_id=$BRANCH" --data kind=branch --data code=X2 --data-urlencode name=支部下的支部
refuse branch_type /api/orgs --data "parent_id=$BRANCH" --data kind=group --data code=X3 \
	--data-urlencode name=小组 --data branch_type=grid
refuse kind /api/org/edit --data "id=$BRANCH" --data kind=group --data branch_type=
expect_status 404 POST /api/member/edit "${J[@]}" "${OK[@]}" --data id=01000000-0000-7000-8000-000000000000 \
	--data phone=1
expect_status 200 POST /api/member/lost/check "${J[@]}" "${OK[@]}" --data "id=$MID" --data since=2024-03-01
expect_contains "$D/body" '"ok":true'
[ "$(digest)" = "$D1" ] || fail "a refused or checked write changed the replica"
expect_status 200 GET /api/orgs "${J[@]}"
python3 - "$D/body" <<'EOF' || fail "/api/orgs child_kinds: $(cat "$D/body")"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
by = {o["code"]: o for o in d["orgs"]}
assert [k["code"] for k in by["SQ01"]["child_kinds"]] == ["general_branch", "branch"], by["SQ01"]
assert [k["label"] for k in by["SQ01-01"]["child_kinds"]] == ["党小组"], by["SQ01-01"]
EOF

step "member edit, steps and organisations: saved"
n0=$(sqlite3 "$DB" "SELECT count(*) FROM outbox")
expect_status 200 POST /api/member/edit "${J[@]}" "${OK[@]}" --data "id=$MID" --data phone=13900000007 \
	--data-urlencode address=幸福路1号
expect_status 200 POST /api/member/lost "${J[@]}" "${OK[@]}" --data "id=$MID" --data since=2024-03-01 \
	--data-urlencode note=外出务工
[ "$(sqlite3 "$DB" "SELECT phone, address, lost_contact, lost_since, lost_note FROM member WHERE id = '$MID'")" = \
	"13900000007|幸福路1号|1|2024-03-01|外出务工" ] || fail "edit and lost: $(sqlite3 "$DB" "SELECT * FROM member WHERE id = '$MID'")"
expect_status 200 POST /api/member/found "${J[@]}" "${OK[@]}" --data "id=$MID"
expect_status 200 POST /api/member/report "${J[@]}" "${OK[@]}" --data "id=$MID" --data "community=$SQ"
[ "$(sqlite3 "$DB" "SELECT lost_contact, quote(lost_since), in_service, report_org_id FROM member WHERE id = '$MID'")" = \
	"0|NULL|1|$SQ" ] || fail "found and report: $(sqlite3 "$DB" "SELECT * FROM member WHERE id = '$MID'")"
expect_status 201 POST /api/orgs "${J[@]}" "${OK[@]}" --data "parent_id=$BRANCH" --data kind=group \
	--data code=SQ01-01-1 --data-urlencode name=第一党小组
expect_contains "$D/body" '"id":"'
expect_status 200 POST /api/org/edit "${J[@]}" "${OK[@]}" --data "id=$BRANCH" --data-urlencode secretary=陈书记 \
	--data term_start=2024-01-01 --data term_end=2027-01-01
[ "$(sqlite3 "$DB" "SELECT secretary, term_end FROM org WHERE id = '$BRANCH'")" = "陈书记|2027-01-01" ] ||
	fail "org edit: $(sqlite3 "$DB" "SELECT * FROM org WHERE id = '$BRANCH'")"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM outbox")" = $((n0 + 6)) ] || fail "not one outbox transaction per write"

step "SIGTERM stops the desk"
kill -TERM "$UI_PID"
rc=0
wait "$UI_PID" || rc=$?
[ "$rc" = 0 ] || fail "the desk exited $rc after SIGTERM"
expect_contains "$D/ui.log" "工作台已停止"
stop_server
step "ok"
