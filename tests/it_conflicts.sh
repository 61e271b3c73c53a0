#!/usr/bin/env bash
# it_conflicts.sh - the conflict cases of issue 4 against a real tongxind.
#
# One street administrator device, two devices of community SQ01 (sq01a,
# sq01b) and one of SQ02 (sq02). "Offline" means a device simply does not
# sync while the others do. Each case asserts that both sides survive in the
# conflict record (list and show: office value, server value, device, kind),
# and that the administrator's decision reaches every replica in scope
# (member show on each, then sync --verify reports "match"). Then: the queue
# never blocks, office certificates are refused, resolved conflicts stay in
# the history, the losing clerk's status, and the audit trail.
#
# Environment (set by ctest): TONGXIN, TONGXIND; optional TX_KEEP=1 keeps
# the work directory.
TAP_NAME=it_conflicts
. "$(dirname "$0")/tap.sh"

# --- helpers ----------------------------------------------------------------

# field REPLICA MEMBER LABEL: one line of "member show" (label, then value).
field() {
	tx "$1" member show "$2" 2>/dev/null |
	    awk -v l="$3" '$1 == l { $1 = ""; sub(/^ +/, ""); print; exit }'
}
# The administrator's conflict list (every status) as JSON, in $W/cl.json.
conflicts_json() { tx street --json conflicts list --status all >"$W/cl.json" 2>"$W/cl.err"; }
cq() { sqlite3 :memory: "SELECT $1 FROM json_each(readfile('$W/cl.json')) WHERE $2"; }
# conflict_id KIND ROW_ID: the newest conflict of that kind on that row.
conflict_id() {
	conflicts_json || return 1
	cq "json_extract(value, '\$.id')" "json_extract(value, '\$.kind') = '$1' AND
	    json_extract(value, '\$.row_id') = '$2' ORDER BY json_extract(value, '\$.received') DESC
	    LIMIT 1"
}
# The list entry of one conflict, as JSON text.
conflict_entry() { conflicts_json && grep -F "\"id\": \"$1\"" "$W/cl.json"; }
# on_all DESC MEMBER LABEL VALUE REPLICAS...: member show on each replica.
on_all() {
	local desc=$1 m=$2 label=$3 want=$4 d
	shift 4
	for d in "$@"; do equals "$desc: $d shows $label $want" "$(field "$d" "$m" "$label")" "$want"; done
}
# absent_on DESC IDNUM REPLICAS...: no replica holds that member.
absent_on() {
	local desc=$1 idn=$2 d
	shift 2
	for d in "$@"; do equals "$desc: $d holds no such member" "$(mcount "$d" "$idn")" 0; done
}

# --- a street, two communities, four devices --------------------------------

section "setup"
tap_start_street 和平街道 JD01

must "$TONGXIND" enroll "$W/srv" --org JD01 --device street --admin --out "$W/street.bundle"
must tx street join "$W/street.bundle"
for _ in $(seq 50); do tx street status --check >/dev/null 2>&1 && break; sleep 0.1; done
expect_rc 0 "the street's device reaches the server (status --check)" tx street status --check
must tx street sync -q
must tx street org add --code SQ01 --name 和平社区 --kind community
must tx street org add --code SQ02 --name 幸福社区 --kind community
must tx street org add --code SQ01-01 --name 和平第一支部 --kind branch --parent SQ01 --branch-type residential
must tx street org add --code SQ01-09 --name 和平临时支部 --kind branch --parent SQ01 --branch-type temporary
must tx street org add --code SQ02-01 --name 幸福第一支部 --kind branch --parent SQ02 --branch-type grid
must tx street sync -q
for dev in sq01a:SQ01 sq01b:SQ01 sq02:SQ02; do
	must "$TONGXIND" enroll "$W/srv" --org "${dev#*:}" --device "${dev%:*}" --out "$W/${dev%:*}.bundle"
	must tx "${dev%:*}" join "$W/${dev%:*}.bundle"
	must tx "${dev%:*}" sync -q
done
S1="street sq01a sq01b"          # the replicas that see SQ01's members
ALL="street sq01a sq01b sq02"

A=$(idnum 11010519700101001)     # same field: take the office's value
B=$(idnum 11010519710202001)     # same field, two SQ01 devices: merged value
C=$(idnum 11010519720303003)     # same field: keep the server's value
P=$(idnum 11010519730404003)     # newer-wins phone
D1=$(idnum 11010519740505005)    # the street deletes, the office edits
D2=$(idnum 11010519750606005)    # the office deletes, the street edits
T=$(idnum 11010519760707007)     # edited by SQ01 after its transfer to SQ02
Q=$(idnum 11010519770808007)     # the queue never blocks
R=$(idnum 11010519780909009)     # an unrelated later change
add_member sq01a 张建国 "$A" SQ01-01
add_member sq01a 孙二娘 "$B" SQ01-01
add_member sq01a 周一 "$C" SQ01-01
add_member sq01a 吴用 "$P" SQ01-01 --phone 13800000000
add_member sq01a 李四 "$D1" SQ01-01
add_member sq01a 王五 "$D2" SQ01-01
add_member sq01a 张三 "$T" SQ01-01
add_member sq01a 钱七 "$Q" SQ01-01
add_member sq01a 郑八 "$R" SQ01-01
sync_all sq01a street sq01b sq02
A_ID=$(mid sq01a "$A") B_ID=$(mid sq01a "$B") C_ID=$(mid sq01a "$C") P_ID=$(mid sq01a "$P")
D1_ID=$(mid sq01a "$D1") D2_ID=$(mid sq01a "$D2") T_ID=$(mid sq01a "$T") Q_ID=$(mid sq01a "$Q")
equals "the members reached the street and the second SQ01 device" \
    "$(mcount street "$A")$(mcount sq01b "$R")$(mcount sq02 "$A")" "110"

# --- 1. the same field changed by two devices -------------------------------

section "1a. same field (education), SQ01 offline vs the street; resolved --take-office"
must tx sq01a member edit "$A" --education master            # offline
must tx street member edit "$A" --education doctorate
must tx street sync -q
expect_rc 0 "the office syncs its stale edit" tx sq01a sync
contains "the sync summary reports the conflict and why" "$OUT" "1 conflict" "冲突 conflict" "学历已在服务器上改为"
C1=$(conflict_id same_field "$A_ID")
[ -n "$C1" ] && ok "a same_field conflict is queued for the member" ||
    bad "no same_field conflict for member $A_ID" "$(cat "$W/cl.json" "$W/cl.err")"
E=$(conflict_entry "$C1")
contains "conflicts list: kind, office, device, table and the server's value" "$E" \
    '"kind": "same_field"' '"office": "SQ01"' '"device": "sq01a"' '"table": "member"' \
    '"status": "open"' doctorate
run tx street --json conflicts show "$C1"
contains "conflicts show: base, server and office values side by side, and both writers" "$OUT" \
    '"base": "bachelor", "server": "doctorate", "office": "master"' \
    '"office": "SQ01", "device": "sq01a"' '"server_writer": "street"' \
    '"kind": "same_field", "kind_label": "同一字段"' '"label": "学历"' '"differs": true' '"made_ms": 1'
python3 -c 'import json,sys; json.loads(sys.argv[1])' "$OUT" && ok "conflicts show --json parses" ||
    bad "conflicts show --json is not JSON" "$OUT"
run tx sq01a status
contains "the losing office's status shows the conflict and its reason" "$OUT" \
    "冲突 conflict ${C1: -8}" "学历已在服务器上改为"

# An office certificate may not settle conflicts, list them or read the audit.
expect_rc 4 "an office device cannot resolve a conflict (exit 4)" \
    tx sq01a conflicts resolve "$C1" --take-office
contains "the refusal names the administrator's certificate" "$OUT" "administrator"
expect_rc 4 "an office device cannot list conflicts (exit 4)" tx sq01a conflicts list
contains "the list refusal names the administrator's certificate" "$OUT" "administrator"
expect_rc 4 "an office device cannot read the audit (exit 4)" tx sq01a audit --row "$A_ID"
contains "the audit refusal names the administrator's certificate" "$OUT" "administrator"
contains "the refused resolution changed nothing: the conflict is still open" \
    "$(conflict_entry "$C1")" '"status": "open"'
sync_all street sq01a
equals "the refused resolution changed nothing: the server still has doctorate" \
    "$(field street "$A" 学历)" 博士研究生

expect_rc 0 "the administrator takes the office's value" \
    tx street --operator 王主任 conflicts resolve "$C1" --take-office --note 经核实为硕士
contains "the resolution is confirmed, by the decision's label" "$OUT" 采用社区值
sync_all $ALL
on_all "take-office" "$A" 学历 硕士研究生 $S1
converge "take-office" $ALL
run tx sq01a status
contains "after the resolution syncs, the office's status shows the outcome" "$OUT" \
    "冲突 conflict ${C1: -8}" "→ 采用社区值（street / 王主任）；经核实为硕士"
run tx street conflicts show "$C1"
contains "conflicts show keeps both values, the decision and who made it" "$OUT" \
    "已处理 resolved — 采用社区值 by street / 王主任" "学历已在服务器上改为“博士研究生”" 硕士研究生
run tx street --json conflicts list --status resolved
contains "conflicts list --status resolved keeps the conflict" "$OUT" "\"id\": \"$C1\""
contains "conflicts list --status resolved shows the decision and who made it" \
    "$(grep -F "\"id\": \"$C1\"" <<<"$OUT")" take_office street
run tx street audit --row "$A_ID"
contains "audit --row lists the insert, both edits and the resolution" "$OUT" \
    "insert" "education: bachelor → doctorate" "education: doctorate → master" \
    "resolve" "conflict $C1 (same_field) settled: take_office; note: 经核实为硕士" "王主任"

section "1b. same field (name), two SQ01 devices; resolved --set name=..."
must tx sq01b member edit "$B" --name 孙三娘
must tx sq01b sync -q
must tx sq01a member edit "$B" --name 孙四娘                 # offline, from the old base
expect_rc 0 "the second device syncs its stale rename" tx sq01a sync
contains "the sync summary reports the conflict" "$OUT" "1 conflict"
C2=$(conflict_id same_field "$B_ID")
[ -n "$C2" ] && ok "a same_field conflict is queued" || bad "no same_field conflict for $B_ID"
contains "conflicts list: kind, device and the server's value" "$(conflict_entry "$C2")" \
    '"kind": "same_field"' '"device": "sq01a"' 孙三娘
run tx street --json conflicts show "$C2"
contains "conflicts show: both names, and both devices" "$OUT" \
    '"base": "孙二娘", "server": "孙三娘", "office": "孙四娘"' '"office": "SQ01", "device": "sq01a"' \
    '"server_writer": "sq01b"'
expect_rc 0 "the administrator enters a merged name" \
    tx street conflicts resolve "$C2" --set name=孙二娘子 --note 以户籍为准
sync_all $ALL
on_all "set name" "$B" 姓名 孙二娘子 $S1
converge "set name" $ALL
contains "the losing office sees the merged decision" "$(tx sq01a status)" "→ 录入合并值 name=孙二娘子（street"
run tx street conflicts show "$C2"
contains "the settled conflict still holds both sides and the decision" "$OUT" \
    孙三娘 孙四娘 "已处理 resolved — 录入合并值 name=孙二娘子 by street"

section "1c. same field (name), SQ01 vs the street; resolved --keep-server"
must tx sq01a member edit "$C" --name 周一错                  # offline
must tx street member edit "$C" --name 周一改
must tx street sync -q
expect_rc 0 "the office syncs" tx sq01a sync
contains "the sync summary reports the conflict" "$OUT" "1 conflict"
C3=$(conflict_id same_field "$C_ID")
[ -n "$C3" ] && ok "a same_field conflict is queued" || bad "no same_field conflict for $C_ID"
run tx street --json conflicts show "$C3"
contains "conflicts show: both names" "$OUT" '"base": "周一", "server": "周一改", "office": "周一错"'
expect_rc 0 "the administrator keeps the server's value" tx street conflicts resolve "$C3" --keep-server
sync_all $ALL
on_all "keep-server" "$C" 姓名 周一改 $S1
converge "keep-server" $ALL
contains "the office's value is still kept in the settled record" \
    "$(tx street --json conflicts show "$C3")" '"office": "周一错"' \
    '"status": "resolved", "status_label": "已处理", "resolution": "keep_server", "resolution_label": "保留街道值", "resolved_by": "street"'
contains "the losing office sees the outcome" "$(tx sq01a status)" "冲突 conflict ${C3: -8}" "→ 保留街道值（street"

section "1d. newer-wins column (phone): the office's older edit loses"
must tx sq01a member edit "$P" --phone 13911111111           # offline, older
sleep 0.05
must tx street member edit "$P" --phone 13922222222           # newer
must tx street sync -q
expect_rc 0 "the office syncs its older phone edit" tx sq01a sync
contains "no open conflict; the sync summary tells the clerk the server's value won" "$OUT" \
    "0 conflict" "联系电话两边都有修改，保留了服务器上较新的修改"
conflicts_json
equals "no open conflict for the member" \
    "$(cq "count(*)" "json_extract(value, '\$.row_id') = '$P_ID' AND json_extract(value, '\$.status') = 'open'")" 0
AUTO=$(cq "json_extract(value, '\$.id')" "json_extract(value, '\$.kind') = 'newer_wins' AND json_extract(value, '\$.row_id') = '$P_ID'")
[ -n "$AUTO" ] && ok "an auto (newer_wins) record exists" || bad "no newer_wins record for $P_ID" "$(cat "$W/cl.json")"
contains "the auto record names both values and the device" "$(conflict_entry "$AUTO")" \
    '"status": "auto"' '"device": "sq01a"' 13911111111 13922222222
contains "the losing clerk sees the decision in tongxin status" "$(tx sq01a status)" \
    "党员的联系电话两边都有修改，保留了服务器上较新的修改" "服务器“13922222222”，本单位“13911111111”"
sync_all $ALL
on_all "newer wins" "$P" 联系电话 13922222222 $S1
converge "newer wins" $ALL
lacks "the audit does not claim the losing value was written" "$(tx street audit --row "$P_ID")" \
    "→ 13911111111"

section "1e. newer-wins column (phone): the office's newer edit wins over another device's"
must tx sq01b member edit "$P" --phone 13733333333           # synced first, older
must tx sq01b sync -q
sleep 0.05
must tx sq01a member edit "$P" --phone 13744444444           # offline base, newer
expect_rc 0 "the newer edit syncs" tx sq01a sync
contains "no conflict, the office's newer edit won" "$OUT" "0 conflict" "采用了本单位较新的修改"
conflicts_json
equals "a second auto record exists and nothing is open" \
    "$(cq "count(*)" "json_extract(value, '\$.row_id') = '$P_ID' AND json_extract(value, '\$.status') = 'auto'") $(cq "count(*)" "json_extract(value, '\$.row_id') = '$P_ID' AND json_extract(value, '\$.status') = 'open'")" "2 0"
sync_all $ALL
on_all "newer wins" "$P" 联系电话 13744444444 $S1
contains "the clerk whose phone number lost (sq01b) sees it in tongxin status" \
    "$(tx sq01b status)" 13733333333 13744444444

# --- 2. update against delete, both ways round ------------------------------

section "2a. the street deletes while the office edits; resolved --take-office"
must tx street member delete "$D1"
must tx street sync -q
must tx sq01a member edit "$D1" --name 李四新                 # offline
expect_rc 0 "the office syncs its edit of a deleted member" tx sq01a sync
contains "the sync summary reports the conflict" "$OUT" "1 conflict"
C4=$(conflict_id update_deleted "$D1_ID")
[ -n "$C4" ] && ok "an update_deleted conflict is queued" || bad "no update_deleted conflict for $D1_ID"
contains "conflicts list: kind and device" "$(conflict_entry "$C4")" '"kind": "update_deleted"' '"device": "sq01a"' deleted
run tx street --json conflicts show "$C4"
contains "conflicts show: the office's update and the server's delete" "$OUT" \
    '"base": "李四", "server": null, "office": "李四新"' '"server_deleted": true' '"server_writer": "street"'
expect_rc 0 "the administrator takes the office's update over the delete" \
    tx street conflicts resolve "$C4" --take-office
sync_all $ALL
on_all "update over delete" "$D1" 姓名 李四新 $S1
converge "update over delete" $ALL
contains "the office sees the outcome" "$(tx sq01a status)" "冲突 conflict ${C4: -8}" "→ 采用社区值（street"

section "2b. the office deletes while the street edits; resolved --keep-server"
must tx street member edit "$D2" --education master
must tx street sync -q
must tx sq01a member delete "$D2"                             # offline
expect_rc 0 "the office syncs its delete of an edited member" tx sq01a sync
contains "the sync summary reports the conflict" "$OUT" "1 conflict"
C5=$(conflict_id delete_updated "$D2_ID")
[ -n "$C5" ] && ok "a delete_updated conflict is queued" || bad "no delete_updated conflict for $D2_ID"
contains "conflicts list: kind, device and the server's value" "$(conflict_entry "$C5")" \
    '"kind": "delete_updated"' '"device": "sq01a"' master
run tx street --json conflicts show "$C5"
contains "conflicts show: the server's update and the office's delete" "$OUT" \
    '"base": "bachelor", "server": "master", "office": null' '"op": "delete"'
equals "the row is not destroyed: the office's replica has it back, with the update" \
    "$(field sq01a "$D2" 学历)" 硕士研究生
equals "the row is not destroyed on the server" "$(tx street sync -q; field street "$D2" 学历)" 硕士研究生
expect_rc 0 "the administrator keeps the server's row" tx street conflicts resolve "$C5" --keep-server
sync_all $ALL
on_all "delete refused" "$D2" 学历 硕士研究生 $S1
converge "delete refused" $ALL

# --- 3. the same citizen ID registered by two offices -----------------------

section "3. the same citizen ID number registered by SQ01 and SQ02; resolved --set id_number="
U=$(idnum 11010519800505005)
U2=$(idnum 11010519800505013)     # the corrected number: same birth date
add_member sq01a 赵六 "$U" SQ01-01 --education bachelor       # both offline
add_member sq02 赵陆 "$U" SQ02-01 --ethnicity 满族 --education master
U_SQ02=$(mid sq02 "$U")
must tx sq01a sync -q
expect_rc 0 "the second office syncs its registration" tx sq02 sync
contains "the sync summary reports the duplicate" "$OUT" "1 conflict" "$U"
C6=$(conflict_id unique "$U_SQ02")
[ -n "$C6" ] && ok "a unique conflict is queued" || bad "no unique conflict for $U_SQ02"
contains "conflicts list: kind, office, device and the number" "$(conflict_entry "$C6")" \
    '"kind": "unique"' '"office": "SQ02"' '"device": "sq02"' "$U"
run tx street --json conflicts show "$C6"
contains "conflicts show: both rows' values side by side" "$OUT" \
    '"server": "赵六", "office": "赵陆"' '"server": "汉族", "office": "满族"' \
    '"server": "bachelor", "office": "master"' '"office": "SQ02", "device": "sq02"' '"server_writer": "sq01a"'
contains "the SQ02 clerk sees the conflict in tongxin status" "$(tx sq02 status)" "冲突 conflict ${C6: -8}"
expect_rc 0 "the administrator corrects the second number" \
    tx street conflicts resolve "$C6" --set id_number="$U2" --note 号码录入有误
sync_all $ALL
on_all "corrected number" "$U2" 姓名 赵陆 street sq02
on_all "first registration" "$U" 姓名 赵六 street sq01a sq01b
absent_on "scope" "$U2" sq01a sq01b
absent_on "scope" "$U" sq02
converge "corrected number" $ALL
contains "the SQ02 clerk sees the outcome" "$(tx sq02 status)" "→ 录入合并值 id_number=$U2（street"

# --- 4. a member added to a branch the street has dissolved -----------------

section "4. a member added offline to a dissolved branch; resolved --keep-server"
G=$(idnum 11010519790606005)
add_member sq01a 冯九 "$G" SQ01-09                            # offline
G_ID=$(mid sq01a "$G")
BR_ID=$(sqlite3 "$W/street.db" "SELECT id FROM org WHERE code = 'SQ01-09'")
must tx street org edit SQ01-09 --dissolved 1
must tx street sync -q
expect_rc 0 "the office syncs its new member" tx sq01a sync
contains "the sync summary reports the conflict" "$OUT" "1 conflict" "已被删除或撤销"
C7=$(conflict_id missing_parent "$G_ID")
[ -n "$C7" ] && ok "a missing_parent conflict is queued" || bad "no missing_parent conflict for $G_ID"
contains "conflicts list: kind, device and the dissolved branch" "$(conflict_entry "$C7")" \
    '"kind": "missing_parent"' '"device": "sq01a"' "$BR_ID" "dissolved"
run tx street --json conflicts show "$C7"
contains "conflicts show: the office's whole new member and the server's side" "$OUT" \
    '"office": "冯九"' "\"office\": \"$G\"" "$BR_ID"
expect_rc 0 "the administrator keeps the server's state" tx street conflicts resolve "$C7" --keep-server
sync_all $ALL
absent_on "keep-server" "$G" $ALL
converge "keep-server" $ALL
contains "the office sees the outcome" "$(tx sq01a status)" "冲突 conflict ${C7: -8}" "→ 保留街道值（street"

# --- 5. an edit by the sending office after the transfer was accepted -------

section "5. SQ01 edits a member whose transfer SQ02 has already accepted"
must tx sq01b sync -q                 # sq01b now goes offline, still holding the member
must tx sq01a transfer request "$T" --to SQ02-01 --reason 搬迁
must tx sq01a sync -q
must tx sq02 sync -q
TR=$(sqlite3 "$W/sq02.db" "SELECT id FROM transfer WHERE member_id = '$T_ID' AND status = 'requested'")
must tx sq02 transfer accept "$TR"
must tx sq02 sync -q
must tx sq01b member edit "$T" --name 张三丰 --job 退休教师    # offline, stale
expect_rc 0 "the sending office's second device syncs its edit" tx sq01b sync
contains "the sync summary reports the conflict" "$OUT" "1 conflict" "已转出本设备所属组织"
C8=$(conflict_id transferred "$T_ID")
[ -n "$C8" ] && ok "a transferred conflict is queued" || bad "no transferred conflict for $T_ID"
contains "conflicts list: kind, office and device" "$(conflict_entry "$C8")" \
    '"kind": "transferred"' '"office": "SQ01"' '"device": "sq01b"'
run tx street --json conflicts show "$C8"
contains "conflicts show: the office's edit and the server's value" "$OUT" \
    '"base": "张三", "server": "张三", "office": "张三丰"' '"office": "退休教师"' '"office": "SQ01", "device": "sq01b"'
# The member is SQ02's now: the office's change cannot be applied with the office's
# scope. The street keeps its row and re-enters the edit from its own device.
expect_rc 7 "take-office is refused as invalid: the member lies outside the office now" \
    tx street conflicts resolve "$C8" --take-office
contains "the refusal says why and what to do" "$OUT" "outside the organisation" "member edit"
expect_rc 9 "an unknown conflict id is not found (exit 9)" tx street conflicts show 0123456789ab
contains "the refusal says so in Chinese" "$OUT" "街道服务器上没有冲突“0123456789ab”"
expect_rc 0 "the administrator keeps the server's row" tx street conflicts resolve "$C8" --keep-server
must tx street sync -q
must tx street member edit "$T" --name 张三丰 --job 退休教师
sync_all $ALL
on_all "edit after transfer" "$T" 姓名 张三丰 street sq02
on_all "edit after transfer" "$T" 工作岗位 退休教师 street sq02
absent_on "the member left SQ01" "$T" sq01a sq01b
converge "edit after transfer" $ALL
contains "the office sees the outcome" "$(tx sq01b status)" "冲突 conflict ${C8: -8}" "→ 保留街道值（street"
# Invariant 6: every table of the old community's replica, blobs included.
hexof() { printf %s "$1" | od -An -tx1 | tr -d ' \n'; }
HITS=$(sqlite3 "$W/sq01b.db" .dump | grep -F -e "$T" -e 张三 -e "$(hexof "$T")" -e "$(hexof 张三)" |
    cut -c1-240)
[ -z "$HITS" ] && ok "the sending office's replica keeps none of the member's personal data" ||
    bad "the sending office's replica still holds the member's name or number" "$HITS"

# --- the queue never blocks --------------------------------------------------

section "the queue never blocks"
must tx street member edit "$Q" --education master
must tx street sync -q
must tx sq01a member edit "$Q" --education doctorate          # will conflict
must tx sq01a member edit "$R" --job 网格员                   # unrelated, later
must tx sq01a member edit "$Q" --address 和平路1号            # same row, other field, later
expect_rc 0 "the office syncs a conflicting and two later changes" tx sq01a sync
contains "one conflict, and the later changes went through" "$OUT" \
    "pushed 3 transactions" "1 conflict"
n_ok=$(sed -n 's/.*: \([0-9]*\) applied, \([0-9]*\) merged.*/\1 \2/p' <<<"$OUT")
[ -n "$n_ok" ] || n_ok="0 0"
equals "two later transactions applied or merged" "$(( ${n_ok% *} + ${n_ok#* } ))" 2
contains "nothing is left waiting" "$(tx sq01a status)" "0 transactions"
must tx street sync -q
equals "the server has the unrelated change" "$(field street "$R" 工作岗位)" 网格员
equals "the server has the later change to the same row" "$(field street "$Q" 家庭住址)" 和平路1号
equals "the server kept its own value of the conflicted field" "$(field street "$Q" 学历)" 硕士研究生
equals "the office's replica shows what the server holds" "$(field sq01a "$Q" 学历)" 硕士研究生
C9=$(conflict_id same_field "$Q_ID")
[ -n "$C9" ] && ok "the conflict is queued" || bad "no conflict for $Q_ID"
must tx street conflicts resolve "$C9" --keep-server

# --- the history and the audit trail ----------------------------------------

section "history and audit"
run tx street conflicts list
contains "no conflict is left open" "$OUT" "No open conflicts"
conflicts_json
for c in "$C1" "$C2" "$C3" "$C4" "$C5" "$C6" "$C7" "$C8" "$C9"; do
	equals "conflict ${c: -8} is kept as resolved" \
	    "$(cq "json_extract(value, '\$.status')" "json_extract(value, '\$.id') = '$c'")" resolved
done
equals "resolved conflicts are listed with --status resolved" \
    "$(tx street --json conflicts list --status resolved | grep -c '"status": "resolved"')" 9
run tx street audit --row "$D1_ID"
contains "audit --row: the delete and the resolution that undid it" "$OUT" \
    "delete" "resolve" "update_deleted) settled: take_office" "name: 李四 → 李四新"
run tx street audit --device sq01a --since "$(date +%Y-%m-%d)"
contains "audit --device --since lists the device's changes" "$OUT" "sq01a" "insert" "update"
lacks "audit --device lists only that device" "$OUT" "sq01b "
sync_all $ALL
converge "at the end" $ALL

tap_end
