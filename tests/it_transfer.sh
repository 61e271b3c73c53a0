#!/usr/bin/env bash
# it_transfer.sh - 组织关系转接 as a workflow (issue 5) against a real tongxind.
#
# Community SQ01 sends a member to SQ02 while the two offices are offline at
# different times ("offline": a device pointed at 127.0.0.1:1, which fails
# with exit 3 and keeps its changes, or one that simply does not sync). Only
# the receiving office's acceptance moves the member; then the sending
# office's replica no longer holds the member's personal data, the receiving
# one does, and the street sees the member under SQ02. Also: the sending
# office cannot accept its own request (neither locally nor on the server),
# a rejection with a note leaves the member where it was, and a request for
# an unknown organisation code is refused by the server with the reason.
#
# Environment (set by ctest): TONGXIN, TONGXIND; optional TX_KEEP=1 keeps
# the work directory.
TAP_NAME=it_transfer
. "$(dirname "$0")/tap.sh"

# --- helpers ----------------------------------------------------------------


# --- a street, two communities, one device each -----------------------------

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
must tx street org add --code SQ02-01 --name 幸福第一支部 --kind branch --parent SQ02 --branch-type grid
must tx street sync -q
for dev in sq01:SQ01 sq02:SQ02; do
	must "$TONGXIND" enroll "$W/srv" --org "${dev#*:}" --device "${dev%:*}" --out "$W/${dev%:*}.bundle"
	must tx "${dev%:*}" join "$W/${dev%:*}.bundle"
	must tx "${dev%:*}" sync -q
done
ALL="street sq01 sq02"
OFF="--server 127.0.0.1:1"       # nothing listens there: the office is offline
M=$(idnum 11010519700101001)     # moves to SQ02
N=$(idnum 11010519710202001)     # the transfer is rejected
K=$(idnum 11010519720303003)     # requested to an unknown code
add_member sq01 孙磊 "$M" SQ01-01 --phone 13800000001 --address 和平路8号
add_member sq01 刘秀英 "$N" SQ01-01
add_member sq01 钱敏 "$K" SQ01-01
sync_all sq01 street sq02
M_ID=$(mid sq01 "$M") N_ID=$(mid sq01 "$N")
equals "the members are in SQ01 and the street, not in SQ02" \
    "$(mcount sq01 "$M")$(mcount street "$M")$(mcount sq02 "$M")" 110
# The branch code a member is in, on a replica ("" when it does not hold it).
branch_of() {
	sqlite3 "$W/$1.db" "SELECT o.code FROM member m JOIN org o ON o.id = m.org_id
	    WHERE m.id_number = '$2'"
}
tstate() { sqlite3 "$W/$1.db" "SELECT coalesce(member_name, '') || '|' || status FROM transfer WHERE id = '$2'"; }

# --- a transfer between two offices offline at different times --------------

section "SQ01 requests while offline"
expect_rc 0 "SQ01 requests the transfer with no server reachable" \
    tx sq01 transfer request "$M" --to SQ02-01 --reason 搬迁至幸福社区居住
contains "the request names the member and the receiving code" "$OUT" 孙磊 SQ02-01
expect_rc 3 "SQ01's sync fails while the server is unreachable (exit 3)" tx sq01 $OFF sync
contains "the failure says why" "$OUT" unreachable
contains "the request is kept locally, waiting to be sent" "$(tx sq01 status)" "1 transactions"
contains "SQ01's transfer list shows the open request" "$(tx sq01 transfer list)" \
    孙磊 SQ02-01 待接收 转出
TR=$(sqlite3 "$W/sq01.db" "SELECT id FROM transfer WHERE member_id = '$M_ID'")
[ -n "$TR" ] && ok "the request is a transfer row in SQ01's replica" || bad "no transfer row in sq01.db"
expect_rc 7 "the sending office cannot accept its own request (exit 7)" tx sq01 transfer accept "$TR"
contains "the refusal is clear" "$OUT" "only the receiving organisation" SQ02-01
expect_rc 0 "SQ01 syncs once it is online" tx sq01 sync
contains "the request was applied" "$OUT" "pushed 1 transactions: 1 applied"
expect_rc 7 "after syncing, the sending office still cannot accept it (exit 7)" \
    tx sq01 transfer accept "${TR: -8}"
contains "the refusal is clear" "$OUT" "only the receiving organisation"
equals "the refusal changed nothing" "$(tstate sq01 "$TR")" "孙磊|requested"
contains "nothing is waiting to be sent" "$(tx sq01 status)" "0 transactions"
equals "the member stays in SQ01 until the receiving office accepts" "$(branch_of sq01 "$M")" SQ01-01

section "SQ02, offline until now, sees the request and accepts it"
expect_rc 3 "SQ02 is offline too (exit 3)" tx sq02 $OFF sync
lacks "SQ02 has not seen the request yet" "$(tx sq02 transfer list)" 孙磊
expect_rc 0 "SQ02 syncs later" tx sq02 sync
run tx sq02 transfer list
contains "SQ02's transfer list shows the incoming request" "$OUT" \
    孙磊 转入 SQ02-01 待接收 搬迁至幸福社区居住
equals "SQ02 holds none of the member's personal data before acceptance" "$(mcount sq02 "$M")" 0
expect_rc 0 "SQ02 accepts, offline" tx sq02 transfer accept "${TR: -8}" --note 已报到
expect_rc 3 "SQ02's sync fails while offline (exit 3)" tx sq02 $OFF sync
contains "the acceptance is kept locally, waiting to be sent" "$(tx sq02 status)" "1 transactions"
must tx sq01 sync -q
equals "acceptance that has not reached the server moves nothing" "$(branch_of sq01 "$M")" SQ01-01
expect_rc 0 "SQ02 syncs its acceptance" tx sq02 sync
contains "the acceptance was applied" "$OUT" "1 applied"
equals "SQ02's replica has the member in its branch" "$(branch_of sq02 "$M")" SQ02-01
contains "member list --branch SQ02-01 on SQ02 shows the member" \
    "$(tx sq02 member list --branch SQ02-01)" 孙磊 13800000001
equals "SQ02 has the member's whole record" "$(sqlite3 "$W/sq02.db" \
    "SELECT name || '|' || address FROM member WHERE id_number = '$M'")" "孙磊|和平路8号"

section "SQ01 syncs: the member's personal data leaves its replica"
expect_rc 0 "SQ01 syncs" tx sq01 sync
contains "the sync reports the removal" "$OUT" "removed 1"
equals "SQ01's replica has no member with that citizen ID number" \
    "$(sqlite3 "$W/sq01.db" "SELECT count(*) FROM member WHERE id_number = '$M'")" 0
equals "SQ01's replica has no member row with that id" \
    "$(sqlite3 "$W/sq01.db" "SELECT count(*) FROM member WHERE id = '$M_ID'")" 0
equals "SQ01's transfer row is accepted and its member name is empty" "$(tstate sq01 "$TR")" "|accepted"
hexof() { printf %s "$1" | od -An -tx1 | tr -d ' \n'; }
HITS=$(sqlite3 "$W/sq01.db" .dump | grep -F -e "$M" -e 孙磊 -e 和平路8号 -e 13800000001 \
    -e "$(hexof "$M")" -e "$(hexof 孙磊)" -e "$(hexof 13800000001)" | cut -c1-240)
[ -z "$HITS" ] && ok "no table of SQ01's replica (blobs included) holds the member's data" ||
    bad "SQ01's replica still holds the member's personal data" "$HITS"
run tx sq01 transfer list --all
contains "SQ01 sees its transfer as accepted" "$OUT" 已接收 SQ02-01
lacks "SQ01's transfer list no longer names the member" "$OUT" 孙磊
expect_rc 9 "SQ01 can no longer edit the member (no such member here)" tx sq01 member edit "$M" --phone 13900000000
contains "SQ02's transfer list names the member it now holds" "$(tx sq02 transfer list --all)" \
    孙磊 已接收 已报到

section "the street sees the member under SQ02"
must tx street sync -q
contains "member list --branch SQ02-01 on the street" "$(tx street member list --branch SQ02-01)" 孙磊
lacks "member list --branch SQ01-01 on the street" "$(tx street member list --branch SQ01-01)" 孙磊
contains "org tree counts the member under SQ02-01" "$(tx street org tree)" "（SQ02-01）党支部 · 党员 1"
run tx street audit --row "$M_ID"
contains "the audit shows the move and who made it" "$OUT" transfer sq02
converge "after the transfer" $ALL

# --- a rejected transfer -----------------------------------------------------

section "SQ02 rejects a transfer with a note"
must tx sq01 transfer request "$N" --to SQ02-01 --reason 工作调动
must tx sq01 sync -q
must tx sq02 sync -q
TR2=$(sqlite3 "$W/sq02.db" "SELECT id FROM transfer WHERE member_id = '$N_ID'")
[ -n "$TR2" ] && ok "SQ02 received the second request" || bad "no second transfer in sq02.db"
# A modified client that skips the local check: the server must refuse it.
SQ02_ORG=$(sqlite3 "$W/sq02.db" "SELECT id FROM org WHERE code = 'SQ02-01'")
sqlite3 "$W/sq01.db" "INSERT INTO org (id, code, name, kind, parent_id, dissolved, _version)
    VALUES ('$SQ02_ORG', 'SQ02-01', 'forged', 'branch', NULL, 0, 0)"
expect_rc 0 "a forged local acceptance by the sending office is recorded locally" \
    tx sq01 transfer accept "$TR2"
sqlite3 "$W/sq01.db" "DELETE FROM org WHERE id = '$SQ02_ORG'"
expect_rc 10 "it is pushed; the server rejects it (sync exit 10)" tx sq01 sync
contains "the server refuses it: only the receiving side decides" "$OUT" \
    "1 rejected" "只有转入组织（或街道）可以"
equals "the request is still open on SQ01" "$(tstate sq01 "$TR2")" "刘秀英|requested"
expect_rc 2 "rejecting needs --note (exit 2)" tx sq02 transfer reject "$TR2"
expect_rc 0 "SQ02 rejects with a note" tx sq02 transfer reject "$TR2" --note 查无此人，请核实
must tx sq02 sync -q
expect_rc 0 "SQ01 syncs" tx sq01 sync
equals "the member stays in SQ01" "$(branch_of sq01 "$N")" SQ01-01
run tx sq01 transfer list --all
contains "SQ01 sees the rejection and its note" "$OUT" 已退回 查无此人，请核实 刘秀英
equals "SQ02 holds none of the member's personal data" "$(mcount sq02 "$N")" 0
must tx street sync -q
equals "the street sees the member in SQ01" "$(branch_of street "$N")" SQ01-01
converge "after the rejection" $ALL

# --- an unknown receiving code ------------------------------------------------

section "a request for an unknown organisation code"
expect_rc 0 "SQ01 can request it offline (it cannot see other communities)" \
    tx sq01 transfer request "$K" --to SQ99
expect_rc 10 "SQ01 syncs; the server rejects the request (sync exit 10)" tx sq01 sync
contains "the sync summary gives the server's reason, in Chinese" "$OUT" \
    "1 rejected" '没有组织编码为“SQ99”的组织'
contains "tongxin status shows the rejection and its reason, in Chinese" "$(tx sq01 status)" \
    "退回 rejected" '没有组织编码为“SQ99”的组织'
lacks "the server's English sentence is not what the clerk reads" "$(tx sq01 status)" \
    'no organisation has the code'
lacks "the refused request is not left open" "$(tx sq01 transfer list)" SQ99
equals "the member stays in SQ01" "$(branch_of sq01 "$K")" SQ01-01
converge "at the end" $ALL

tap_end
