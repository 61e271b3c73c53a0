#!/usr/bin/env bash
# it_roster_export.sh - tongxin member export is lossless: members of every
# kind (a minority name with ·, a woman, a lost-contact member, a mobile one,
# an in-service member reporting to a community, a probationary member with
# an extended probation, a citizen ID whose region was verified by hand, dues
# class and base, cells a spreadsheet would take for a formula or a number,
# members who left: died, withdrew) are exported from one office's replica
# and imported by "member import" into a fresh replica of another office
# with the same organisation codes; every exported column of every row is
# then equal (sqlite3 -csv dumps sorted by citizen ID number). Also: the
# export's header is the import's (the schema's labels), citizen IDs are
# text cells, a formula cell is neutralised, --branch limits to a subtree,
# and without --all the members who left are not in it.
#
# No server runs: each replica is made from its own server's bundle and the
# street's organisation row is inserted by hand (as it_report_import does).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TONGXIN=${TONGXIN:-$HERE/../build/tongxin}
TONGXIND=${TONGXIND:-$HERE/../build/tongxind}
T=$(mktemp -d "${TMPDIR:-/tmp}/it_roster_export.XXXXXX")
NFAIL=0
trap 'if [ "$NFAIL" -gt 0 ] || [ "${TX_KEEP:-0}" = 1 ]; then echo "files kept in $T" >&2; else rm -rf "$T"; fi' EXIT

fail() { echo "FAIL: $*" >&2; NFAIL=$((NFAIL + 1)); }
die() { echo "FATAL: $*" >&2; NFAIL=$((NFAIL + 1)); exit 1; }
check() { [ "$2" == "$3" ] || fail "$1: got [$2], expected [$3]"; }

# The 18-character citizen ID number for 17 digits (GB 11643 check character).
idn() {
	awk -v s="$1" 'BEGIN {
		split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " ")
		for (i = 1; i <= 17; i++) sum += substr(s, i, 1) * w[i]
		print s substr("10X98765432", sum % 11 + 1, 1)
	}'
}

# office NAME: a fresh replica $T/NAME.db of its own server, with the same organisations.
office() {
	local n=$1 db=$T/$1.db
	"$TONGXIND" init "$T/srv-$n" --street 测试街道 --listen 127.0.0.1:1 >/dev/null ||
		die "tongxind init $n failed"
	"$TONGXIND" enroll "$T/srv-$n" --org JD01 --device 管理员 --admin --out "$T/$n.bundle" \
		>/dev/null || die "tongxind enroll $n failed"
	"$TONGXIN" --replica "$db" join "$T/$n.bundle" >/dev/null || die "join $n failed"
	sqlite3 "$db" "INSERT INTO org(id,code,name,kind,dissolved,_version) VALUES
	   ('00000000-0000-7000-8000-00000000000$2','JD01','测试街道','street',0,1)" ||
		die "cannot seed the street of $n"
	for o in "--code SQ01 --name 第一社区 --kind community --parent JD01" \
		"--code ZB01 --name 第一支部 --kind branch --parent SQ01" \
		"--code ZB02 --name 第二支部 --kind branch --parent SQ01" \
		"--code SQ02 --name 第二社区 --kind community --parent JD01" \
		"--code ZB03 --name 第三支部 --kind branch --parent SQ02"; do
		# shellcheck disable=SC2086
		"$TONGXIN" --replica "$db" org add $o >/dev/null || die "org add $o at $n failed"
	done
}

echo "== two offices"
office A 1
office B 2
txa() { "$TONGXIN" --replica "$T/A.db" "$@"; }
txb() { "$TONGXIN" --replica "$T/B.db" "$@"; }

# madd NAME GENDER ETHNICITY ID17 BRANCH EDUCATION CATEGORY JOIN [--FIELD VALUE...]
madd() {
	local name=$1 g=$2 e=$3 id=$4 br=$5 edu=$6 cat=$7 join=$8
	shift 8
	txa member add --name "$name" --gender "$g" --ethnicity "$e" --id-number "$(idn "$id")" \
		--education "$edu" --category "$cat" --branch "$br" --join-date "$join" "$@" \
		>/dev/null || die "member add $name failed"
}
madd 阿依古丽·买买提 female 维吾尔族 11010519850305002 ZB01 bachelor full 2008-07-01 \
	--full-date 2009-07-01 --phone 010-62345678 --address '新疆路 1 号, "东"单元' \
	--job '=HYPERLINK("x")' --dues-class salaried --dues-base 560000 --flow-to '  前后空格　'
madd 张失联 male 汉族 11010519700101001 ZB01 junior_high full 1995-07-01 \
	--lost-contact 1 --lost-since 2023-01-01 --lost-note '长期外出
联系不上' --phone 13800000001
madd 李流动 male 回族 11010519800202003 ZB01 associate full 2005-07-01 \
	--mobile 1 --flow-to 广东省深圳市 --retired 0 --relocated 1
madd 王在职 female 汉族 11010519900303004 ZB02 master full 2015-07-01 \
	--in-service 1 \
	--report-org-id "$(sqlite3 "$T/A.db" "SELECT id FROM org WHERE code = 'SQ02'")" --job '-副科长'
madd 赵预备 male 汉族 11010520000404005 ZB02 bachelor probationary 2025-03-01 \
	--probation-until 2026-09-01 --dues-class student
madd 钱核实 male 满族 99999919600505007 ZB03 senior_high full 1985-07-01 \
	--id-region-verified 1 --retired 1 --dues-class retired --dues-base 320000
madd 孙已故 male 汉族 11010519300606009 ZB03 primary full 1950-07-01 \
	--standing deceased --left-reason death --left-on 2024-02-01 --left-note 病故
madd 周退党 female 汉族 11010519750707008 ZB01 vocational full 2000-07-01 \
	--left-reason withdrawal --left-on 2023-05-01
check "members at A" "$(sqlite3 "$T/A.db" "SELECT count(*) FROM member")" "8"

echo "== export from A"
txa member export --all "$T/all.csv" 2>"$T/export.err" || fail "member export --all: $(cat "$T/export.err")"
grep -q "Exported 8 members" "$T/export.err" || fail "the export does not say how many: $(cat "$T/export.err")"
hdr=$(head -1 "$T/all.csv" | sed '1s/^\xef\xbb\xbf//' | tr -d '\r')
for col in 姓名 性别 民族 公民身份号码 出生日期 学历 人员类别 所在党支部 入党日期 转正日期 工作岗位 \
	联系电话 家庭住址 党籍状态 失联党员 流动党员 报到社区 地区码已核实 预备期满日期 减少方式 减少日期 \
	减少原因 党费类别 '党费基数（分）'; do
	case ",$hdr," in *",$col,"*) ;; *) fail "the export's header lacks $col: $hdr" ;; esac
done
grep -q $'\t110105198503050026' "$T/all.csv" ||
	fail "the citizen ID number is not kept as text (a TAB before it)"
grep -Fq "\"'=HYPERLINK(\"\"x\"\")\"" "$T/all.csv" || fail "the formula cell is not neutralised"
grep -Fq ",维吾尔族," "$T/all.csv" || fail "ethnicity is not its label"

echo "== import into B: the same rows"
txb member import "$T/all.csv" >"$T/import.out" 2>&1 || fail "member import at B: $(cat "$T/import.out")"
# records FILE: the data rows of an export (a cell may hold a line break; each row has one branch code).
records() { grep -Eo ',ZB0[0-9],' "$1" | wc -l; }
# Every exported column, references as the organisation's code.
dump() {
	sqlite3 -csv "$1" "SELECT m.name, m.gender, m.ethnicity, m.id_number, m.birth_date,
	  m.education, m.category, (SELECT code FROM org WHERE id = m.org_id), m.join_date,
	  m.full_date, m.job, m.phone, m.address, m.standing, m.lost_contact, m.lost_since,
	  m.lost_note, m.mobile, m.flow_to, m.retired, m.in_service, m.relocated,
	  (SELECT code FROM org WHERE id = m.report_org_id), m.id_region_verified,
	  m.probation_until, m.left_reason, m.left_on, m.left_note, m.dues_class, m.dues_base,
	  typeof(m.dues_base), typeof(m.lost_contact)
	  FROM member m ORDER BY m.id_number"
}
dump "$T/A.db" >"$T/a.dump"
dump "$T/B.db" >"$T/b.dump"
check "rows at B" "$(sqlite3 "$T/B.db" "SELECT count(*) FROM member")" "8"
if ! cmp -s "$T/a.dump" "$T/b.dump"; then
	fail "B's members differ from A's:"$'\n'"$(diff "$T/a.dump" "$T/b.dump")"
fi
# The file taken back is the file given: B's export is byte for byte A's.
txb member export --all - >"$T/all-b.csv" 2>/dev/null || fail "export at B to stdout"
cmp -s "$T/all.csv" "$T/all-b.csv" || fail "B's export differs:"$'\n'"$(diff "$T/all.csv" "$T/all-b.csv")"
# Importing it again refuses every row (already registered) and changes nothing.
txb member import "$T/all.csv" --errors "$T/again.errors.csv" >/dev/null 2>&1
check "import again exits" "$?" "7"
check "rows at B after the refused import" "$(sqlite3 "$T/B.db" "SELECT count(*) FROM member")" "8"

# A meeting reference cannot travel in a file: such a column is refused by name, nothing changes.
{ head -1 "$T/all.csv" | tr -d '\r' | sed 's/$/,转正会议/'; printf '\r\n'; } >"$T/meeting.csv"
txb member import "$T/meeting.csv" >"$T/meeting.out" 2>&1
check "a 转正会议 column exits" "$?" "7"
grep -q '列 "转正会议" 不能导入' "$T/meeting.out" || fail "the meeting column's refusal: $(cat "$T/meeting.out")"
check "rows at B after the refused file" "$(sqlite3 "$T/B.db" "SELECT count(*) FROM member")" "8"

echo "== scope: on the books only, a subtree"
txa member export "$T/books.csv" 2>/dev/null || fail "member export"
check "rows on the books" "$(records "$T/books.csv")" "6"
grep -q 孙已故 "$T/books.csv" && fail "a member who died is in the export without --all"
txa member export --branch SQ02 - >"$T/sq02.csv" 2>/dev/null || fail "member export --branch SQ02"
check "rows under SQ02" "$(records "$T/sq02.csv")" "1"
grep -q 钱核实 "$T/sq02.csv" || fail "SQ02's member is not in its export"
txa member export --branch NOPE - >/dev/null 2>&1
check "unknown branch exits" "$?" "9"

echo "== the printable A4 花名册 in chromium (the 报表 page's roster, print view)"
WEB=$HERE/web
if [ -x /usr/bin/chromium ] && command -v node >/dev/null && [ -d "$WEB/node_modules/puppeteer-core" ]; then
	"$TONGXIN" --replica "$T/A.db" ui >"$T/desk.log" 2>&1 &
	DESK=$!
	trap 'kill "$DESK" 2>/dev/null; if [ "$NFAIL" -gt 0 ] || [ "${TX_KEEP:-0}" = 1 ]; then echo "files kept in $T" >&2; else rm -rf "$T"; fi' EXIT
	URL=
	for _ in $(seq 100); do
		URL=$(grep -o 'http://127.0.0.1:[0-9]*/?token=[0-9a-f]*' "$T/desk.log" 2>/dev/null)
		[ -n "$URL" ] && break
		sleep 0.1
	done
	[ -n "$URL" ] || die "no token URL from the desk: $(cat "$T/desk.log")"
	txa member export --branch SQ01 "$T/sq01.csv" 2>/dev/null || fail "member export --branch SQ01"
	txa member export --branch SQ01 --all "$T/sq01-all.csv" 2>/dev/null || fail "member export --branch SQ01 --all"
	cat >"$T/roster_print.mjs" <<JS
import fs from 'node:fs';
import { desk } from '$WEB/harness.mjs';
const d = await desk(process.argv[3], 'roster');
const { page, step, check, shot, set } = d;
try {
  step('报表 > 党员花名册 of 第一社区: branch by branch');
  const res = await page.goto(process.argv[2], { waitUntil: 'networkidle0' });
  check(res.ok(), 'the token link answered ' + res.status());
  await page.click('#nav a[data-page="reports"]');
  await page.waitForSelector('#report-tabs a[data-tab="roster"]');
  await page.click('#report-tabs a[data-tab="roster"]');
  await page.waitForSelector('#opt-org');
  await page.waitForFunction(() => document.querySelector('#roster-summary')?.textContent.includes('共 6 人'));
  const every = await page.\$\$eval('section.roster-branch', (ss) => ss.map((s) => s.dataset.code));
  check(JSON.stringify(every) === JSON.stringify(['ZB01', 'ZB02', 'ZB03']), 'the whole replica, branch by branch: ' + every);
  await set('#opt-org', 'SQ01');
  await page.waitForFunction(() => document.querySelector('#roster-summary')?.textContent.includes('共 5 人'));
  const secs = await page.\$\$eval('section.roster-branch', (ss) => ss.map((s) => ({ code: s.dataset.code,
    title: s.querySelector('h3').textContent, rows: [...s.querySelectorAll('tbody tr')].map((r) => r.cells[1].textContent),
    brk: s.style.breakBefore, heads: s.querySelectorAll('thead th').length })));
  check(secs.length === 2 && secs[0].code === 'ZB01' && secs[1].code === 'ZB02', 'branches: ' + JSON.stringify(secs));
  check(secs[0].title.includes('第一支部（ZB01）') && secs[0].title.includes('共 3 人') && secs[1].title.includes('共 2 人'), 'headings: ' + JSON.stringify(secs));
  check(JSON.stringify(secs[0].rows) === JSON.stringify(['张失联', '李流动', '阿依古丽·买买提']) &&
    JSON.stringify(secs[1].rows) === JSON.stringify(['王在职', '赵预备']), 'rows (no one who left): ' + JSON.stringify(secs));
  check(secs[0].brk !== 'page' && secs[1].brk === 'page' && secs[0].heads === 20, 'page breaks / columns: ' + JSON.stringify(secs));
  const head = await page.evaluate(() => [document.querySelector('#report-title').textContent, document.querySelector('#report-scope').textContent]);
  check(head[0] === '第一社区党员花名册' && head[1].includes('社区：第一社区') && /制表日期：\\d{4}-\\d{2}-\\d{2}/.test(head[1]), 'header: ' + head);

  step('导出（可导入）: the file is tongxin member export\'s, byte for byte (with and without 已减少)');
  const fetchBytes = (u) => page.evaluate(async (q) => {
    const r = await fetch(q);
    return { status: r.status, disp: r.headers.get('content-disposition'), b64: btoa(String.fromCharCode(...new Uint8Array(await r.arrayBuffer()))) };
  }, u);
  for (const [all, file] of [[false, '$T/sq01.csv'], [true, '$T/sq01-all.csv']]) {
    if (all) {
      await page.click('#opt-all');
      await page.waitForFunction(() => document.querySelector('#roster-export').getAttribute('href').includes('all=1'));
    }
    const href = await page.\$eval('#roster-export', (a) => a.getAttribute('href'));
    check(href.startsWith('/api/report/roster-export.csv?') && href.includes('org=SQ01'), 'export link: ' + href);
    const got = await fetchBytes(href);
    check(got.status === 200 && /attachment/.test(got.disp || ''), 'export answer: ' + got.status + ' ' + got.disp);
    check(got.b64 === fs.readFileSync(file).toString('base64'), 'the desk\'s export differs from member export ' + (all ? '--all' : '') + ': ' +
      Buffer.from(got.b64, 'base64').toString('utf8'));
  }

  step('打印: the A4 landscape print view');
  await page.evaluate(() => { window.print = () => { window.printed = (window.printed || 0) + 1; }; });
  await page.click('#print');
  await page.waitForSelector('#print-view #report-body:not([data-ready=""]) section.roster-branch');
  await page.emulateMediaType('print');
  const pr = await page.evaluate(() => ({ page: getComputedStyle(document.querySelector('#print-view')).page,
    nav: document.querySelector('#nav') ? document.querySelector('#nav').getClientRects().length : 0,
    brk: [...document.querySelectorAll('section.roster-branch')].map((s) => getComputedStyle(s).breakBefore),
    landscape: [...document.styleSheets].some((ss) => [...ss.cssRules].some((r) => r instanceof CSSPageRule &&
      /A4 landscape/i.test(r.style.getPropertyValue('size')))) }));
  check(pr.page === 'roster' && pr.landscape && pr.nav === 0 && JSON.stringify(pr.brk) === JSON.stringify(['auto', 'page']),
    'print layout: ' + JSON.stringify(pr));
  await shot('roster-print');
  await page.emulateMediaType(null);
} catch (e) {
  d.fail(e);
}
await d.finish();
JS
	if ! timeout 90 node "$T/roster_print.mjs" "$URL" "${TX_WEB_SHOTS:-$PWD/it_roster_export.shots}" >"$T/story.out" 2>&1; then
		fail "the browser story: $(cat "$T/story.out")"
	else
		cat "$T/story.out"
	fi
	kill "$DESK" 2>/dev/null
	wait "$DESK" 2>/dev/null
else
	echo "(no chromium/node/puppeteer-core: the print view is not checked)"
fi

if [ "$NFAIL" -gt 0 ]; then
	echo "it_roster_export: $NFAIL failures" >&2
	exit 1
fi
echo "it_roster_export: ok"
