#!/usr/bin/env bash
# The Tongxin story, end to end, on a local server with an embedded SQLite
# database: a street, two community offices working offline, a conflict, a
# duplicate registration, their resolution, a transfer, and the reports.
# It ends by leaving the server and two web desks (the street's and a
# community's) running in the background, and prints their sign-in links.
# Usage: scripts/demo.sh BUILD_DIR   (make demo runs it)
#        scripts/demo.sh stop        (make demo-stop: stop what the last run left running)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
D="$ROOT/demo"

# Stop the server and desks a previous run left running (their pids in demo/running.pids).
stop_running() {
	[ -f "$D/running.pids" ] || return 0
	local pid
	while read -r pid; do
		[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
	done <"$D/running.pids"
	for _ in $(seq 50); do
		local alive=0
		while read -r pid; do kill -0 "$pid" 2>/dev/null && alive=1; done <"$D/running.pids"
		[ $alive = 0 ] && break
		sleep 0.1
	done
	rm -f "$D/running.pids"
}
if [ "${1:-}" = stop ]; then
	stop_running
	echo "demo: the demo's server and desks are stopped."
	exit 0
fi

BUILD=$(cd "${1:-build}" && pwd)
TONGXIND="$BUILD/tongxind"
TONGXIN="$BUILD/tongxin"

stop_running
rm -rf "$D"
mkdir -p "$D"
cd "$D"

# A free loopback port.
PORT=""
for p in $(shuf -i 20000-40000 -n 50); do
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then PORT=$p; break; fi
done
[ -n "$PORT" ] || { echo "demo: no free port found" >&2; exit 1; }

SERVER_PID=""
cleanup() {
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true
	fi
}
trap cleanup EXIT

bold=""; norm=""
if [ -t 1 ]; then bold=$(tput bold 2>/dev/null || true); norm=$(tput sgr0 2>/dev/null || true); fi
step() { printf '\n%s━━ %s%s\n' "$bold" "$*" "$norm"; }
run() { printf '%s$ %s%s\n' "$bold" "$*" "$norm"; "$@"; }
# A replica's command line, shown as a clerk would type it.
street() { run tongxin --replica street.db --operator 王主任 "$@"; }
heping() { run tongxin --replica heping.db --operator 李书记 "$@"; }
xingfu() { run tongxin --replica xingfu.db --operator 赵委员 "$@"; }
tongxin() { "$TONGXIN" "$@"; }
tongxind() { "$TONGXIND" "$@"; }

start_server() {
	"$TONGXIND" serve srv >>"$D/tongxind.log" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "demo: the server did not start; see $D/tongxind.log" >&2
	exit 1
}
stop_server() {
	kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=""
}

# Citizen ID numbers with their GB 11643 check digit.
idnum() {
	local s=$1 w=(7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2) map=10X98765432 sum=0 i
	for i in $(seq 0 16); do sum=$((sum + ${s:i:1} * ${w[i]})); done
	echo "$s${map:$((sum % 11)):1}"
}

step "1. 街道建库 The street sets up its server and enrols itself and two communities"
run tongxind init srv --street 和平街道 --code JD01 --listen "127.0.0.1:$PORT"
run tongxind enroll srv --org JD01 --device 街道组织委员 --admin --out street.bundle
start_server
echo "(tongxind is serving on 127.0.0.1:$PORT; its log is demo/tongxind.log)"
street join street.bundle
street sync
street org add --code SQ01 --name 和平社区 --kind community --secretary 李明
street org add --code SQ02 --name 幸福社区 --kind community --secretary 赵芳
street sync
run tongxind enroll srv --org SQ01 --device 和平社区-电脑1 --out heping.bundle
run tongxind enroll srv --org SQ02 --device 幸福社区-电脑1 --out xingfu.bundle
heping join heping.bundle
xingfu join xingfu.bundle
heping sync
xingfu sync
heping status --check

step "2. 组织与党员 Each office builds its branches and registers members"
heping org add --code SQ01-01 --name 和平社区第一党支部 --kind branch --branch-type residential --secretary 陈刚 --term-start 2022-03-01
heping org add --code SQ01-02 --name 和平社区离退休党支部 --kind branch --branch-type retired --secretary 周平 --term-start 2021-01-10
xingfu org add --code SQ02-01 --name 幸福社区网格党支部 --kind branch --branch-type grid --secretary 吴静 --term-start 2023-05-01
ZHANG=$(idnum 11010519560312003)
LIU=$(idnum 11010519480921004)
SUN=$(idnum 11010519900715005)
QIAN=$(idnum 11010519850203006)
heping member add --name 张建国 --gender male --ethnicity 汉族 --id-number "$ZHANG" --education junior_high --category full --branch SQ01-02 --join-date 1980-07-01 --full-date 1981-07-01 --retired 1 --phone 13800000001
heping member add --name 刘秀英 --gender female --ethnicity 回族 --id-number "$LIU" --education primary --category full --branch SQ01-02 --join-date 1975-05-04 --full-date 1976-05-04 --retired 1
heping member add --name 孙磊 --gender male --ethnicity 汉族 --id-number "$SUN" --education bachelor --category probationary --branch SQ01-01 --join-date 2025-06-30
xingfu member add --name 钱敏 --gender female --ethnicity 汉族 --id-number "$QIAN" --education master --category full --branch SQ02-01 --join-date 2010-07-01 --full-date 2011-07-01
echo "A citizen ID that disagrees with the person is refused at entry, in Chinese (GB 11643: the 17th"
echo "digit of 钱敏's ID is even, a woman's; GB/T 2260: 101376 is no region), and nothing is saved:"
heping member add --name 钱敏 --gender male --ethnicity 汉族 --id-number "$QIAN" --education master --category full --branch SQ01-01 --join-date 2010-07-01 --full-date 2011-07-01 ||
	echo "(refused as expected, exit $?)"
heping member add --name 周强 --gender male --ethnicity 汉族 --id-number "$(idnum 10137619800101001)" --education bachelor --category full --branch SQ01-01 --join-date 2010-07-01 --full-date 2011-07-01 ||
	echo "(refused as expected, exit $?)"
heping sync
xingfu sync
street sync
street org tree

step "3. 断网办公 The network goes down; both offices keep working"
stop_server
LAST_MONTH=$(date -d "$(date +%Y-%m-01) -1 month" +%Y-%m-%d)
echo "(tongxind stopped: no server is reachable)"
heping meeting add --org SQ01-02 --kind 支委会 --held-on "$LAST_MONTH" --topic 学习党的二十届四中全会精神 --host 周平 --recorder 张建国 --present "$ZHANG,$LIU"
xingfu meeting add --org SQ02-01 --kind 主题党日 --held-on "$LAST_MONTH" --topic 网格志愿服务 --host 吴静 --present "$QIAN"
heping item add --kind problem --title 老旧小区楼道照明不足 --due-on "$(date +%Y)-01-31" --org SQ01-01
run tongxin --replica heping.db sync || echo "(as expected: the office is offline; its changes wait in the outbox)"
heping status

step "4. 冲突 Offline edits that clash"
echo "The street corrects 张建国's education while 和平社区 edits the same field offline:"
start_server
street sync -q
street member edit "$ZHANG" --education senior_high
street sync
stop_server
heping member edit "$ZHANG" --education vocational
echo "幸福社区 registers a member whose citizen ID 和平社区 has already registered:"
xingfu member add --name 孙磊 --gender male --ethnicity 汉族 --id-number "$SUN" --education bachelor --category probationary --branch SQ02-01 --join-date 2025-06-30

step "5. 同步与处理 The offices sync; the street's administrator settles both conflicts"
start_server
heping sync
xingfu sync
street conflicts list
for id in $(tongxin --replica street.db --json conflicts list | grep -o '"id": "[^"]*"' | cut -d'"' -f4); do
	street conflicts show "${id: -8}"      # the short handle the list shows
done
C1=$(tongxin --replica street.db --json conflicts list | tr '{' '\n' | grep same_field | grep -o '"id": "[^"]*"' | cut -d'"' -f4)
C2=$(tongxin --replica street.db --json conflicts list | tr '{' '\n' | grep '"kind": "unique"' | grep -o '"id": "[^"]*"' | cut -d'"' -f4)
street conflicts resolve "${C1: -8}" --take-office --note 经核实为中专学历
street conflicts resolve "${C2: -8}" --keep-server --note 系同一人，已在和平社区登记
heping sync
xingfu sync
street sync --verify
heping status
xingfu status

step "6. 组织关系转接 孙磊 moves from 和平社区 to 幸福社区"
heping transfer request "$SUN" --to SQ02-01 --reason 搬迁至幸福社区居住
heping sync
xingfu sync
xingfu transfer list
TID=$(tongxin --replica xingfu.db --json transfer list | grep -o '"id": "[^"]*"' | head -1 | cut -d'"' -f4)
xingfu transfer accept "${TID: -8}"
xingfu sync
heping sync
echo "和平社区's replica no longer holds 孙磊's personal data:"
run sqlite3 heping.db "SELECT count(*) AS rows_with_his_id FROM member WHERE id_number = '$SUN'"
heping transfer list --all
xingfu member list

step "7. 共建共治 Co-building: a resident unit, a wish, an opinion, a claimed need, the fund, the assessment"
echo "和平社区 registers the city hospital as a resident unit of its 大党委; its doctor sits on the"
echo "community's 党委 as a part-time member. 幸福社区 signs a co-building agreement with the same"
echo "hospital (named by its credit code: the unit sits in another community) and holds it after a sync:"
heping unit add --name 市第一医院 --kind 医院 --credit-code 12100000400000626K --party-org 市第一医院党委 --party-members 120 --contact 张敏 --phone 13700000001
heping agreement add --unit 市第一医院 --unit-commits 每月社区义诊 --community-commits 提供活动场地
heping committee add --org SQ01 --role 兼职委员 --name 张敏 --unit 市第一医院 --from "$(date +%F)"
heping sync
xingfu agreement add --unit 12100000400000626K --unit-commits 健康讲座每季一次
xingfu sync
xingfu unit list
echo "A resident's small wish (微心愿), taken up by the hospital and fulfilled:"
heping wish add --resident 王秀英 --household 和平路12号 --wish 一台助听器 --value 300
WID=$(tongxin --replica heping.db --json wish list | grep -o '"id": "[^"]*"' | head -1 | cut -d'"' -f4)
heping wish claim "${WID: -8}" --unit 市第一医院
heping wish fulfil "${WID: -8}" --note 已送到王秀英家中
echo "An opinion on the feedback wall (民情回音壁), handled by a member and answered:"
heping feedback add --content 三号楼楼道灯不亮 --source 走访 --category 公共设施 --resident 李桂兰
FID=$(tongxin --replica heping.db --json feedback list | grep -o '"id": "[^"]*"' | head -1 | cut -d'"' -f4)
heping feedback assign "${FID: -8}" --member 张建国
heping feedback reply "${FID: -8}" --reply 已更换灯泡，请居民放心
echo "A need on 和平社区's lists (需求清单), claimed by the hospital (双向认领) and done:"
heping item add --kind 需求 --title 老年人健康体检 --org SQ01
IID=$(tongxin --replica heping.db --json item list --kind 需求 | grep -o '"id": "[^"]*"' | head -1 | cut -d'"' -f4)
heping item claim "${IID: -8}" --unit 市第一医院
KID=$(tongxin --replica heping.db --json item claims | grep -o '"id": "[^"]*"' | head -1 | cut -d'"' -f4)
heping item done "${KID: -8}" --result 为120名老人完成体检
echo "The service fund (服务群众专项经费): the year's budget, the wish paid for, the quarter's disclosure:"
YEAR=$(date +%Y)
QUARTER="$YEAR-Q$(( ($(date +%-m) + 2) / 3 ))"
heping fund budget --year "$YEAR" --amount 20000
heping fund spend --amount 300 --purpose 微心愿：助听器 --approver 李书记 --wish "${WID: -8}"
heping fund disclose --quarter "$QUARTER"
heping sync
echo "The street's 100-point assessment (考核) of its communities, seen by them read only:"
street sync
street assess indicator add --year "$YEAR" --target community --code C1 --name 组织建设 --points 60
street assess indicator add --year "$YEAR" --target community --code C2 --name 服务群众 --points 40
street assess score SQ01 --indicator C1 --year "$YEAR" --points 56 --scorer 王主任
street assess score SQ01 --indicator C2 --year "$YEAR" --points 37.5 --scorer 王主任
street assess report --year "$YEAR"
street sync
heping sync
heping assess indicator list --year "$YEAR"
street report cobuild

step "8. 报表 The reports, computed offline on each replica"
street sync --verify
heping report profile --org SQ01
street report compliance
street report inactive
street report overdue
street report terms
street devices
street audit --row "$(tongxin --replica street.db --json member list | tr '{' '\n' | grep '张建国' | grep -o '"id": "[^"]*"' | cut -d'"' -f4)"

step "9. 工作台 The web desks: the street's administrator and 和平社区's clerk"
stop_server
# Left running after the demo, detached from this shell: the server (so the
# desks' 同步 works) and one desk per replica, each on a free loopback port.
setsid "$TONGXIND" serve srv >>"$D/tongxind.log" 2>&1 </dev/null &
echo $! >>"$D/running.pids"
for _ in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
	sleep 0.1
done
for who in street heping; do
	setsid "$TONGXIN" --replica "$D/$who.db" ui >"$D/ui-$who.log" 2>&1 </dev/null &
	echo $! >>"$D/running.pids"
done
url_of() {
	local u=""
	for _ in $(seq 100); do
		u=$(grep -o 'http://127.0.0.1:[0-9]*/?token=[0-9a-f]*' "$D/ui-$1.log" 2>/dev/null | head -1 || true)
		[ -n "$u" ] && break
		sleep 0.1
	done
	[ -n "$u" ] || { echo "demo: the $1 desk did not start; see demo/ui-$1.log" >&2; exit 1; }
	echo "$u"
}
STREET_URL=$(url_of street)
HEPING_URL=$(url_of heping)

step "完成 Done"
echo "Everything above ran against a real tongxind over TLS 1.3 with client certificates."
echo "The server's log: demo/tongxind.log; the replicas: demo/*.db."
echo
echo "工作台 The web desks are running; open a link in a browser on this machine (each link"
echo "signs in once; the desks work offline, 同步 reaches the demo's server):"
echo "  街道 the street's administrator (冲突, 设备, 审计):  $STREET_URL"
echo "  和平社区 a community office's clerk:               $HEPING_URL"
echo "Stop them and the server with: make demo-stop"
