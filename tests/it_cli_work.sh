#!/usr/bin/env bash
# it_cli_work.sh - `tongxin meeting` and `tongxin item` on the one command
# table (client/cmd.c, issue 9 item 2), on an offline replica:
#
#   - options as getopt_long reads them: --opt=value, a value that looks
#     like an option (--topic --csv, --topic=--csv), `--` ending the options;
#   - one kind of handle: a meeting or item by its id's last 6+ characters
#     and by the short handle the list shows (and --json's "handle"); an
#     attendee by name and by citizen ID number;
#   - the exit statuses every verb shares: an ambiguous name 7 (the
#     candidates listed), an unknown handle 9, a missing required option 2,
#     an unknown option 2 - and a refused command changes nothing.
#
# No server runs: the replica is made from a bundle, and the street's
# organisation row (which would arrive by sync) is inserted by hand.

. "$(dirname "$0")/lib.sh"

DB=$TX_TMP/r.db
OUT=$TX_TMP/out

tx() { "$TONGXIN" --replica "$DB" "$@"; }
q() { sqlite3 "$DB" "$1"; }
digest() { sqlite3 "$DB" .dump | sha256sum; }

# refused RC TEXT ARGS...: tongxin ARGS exits RC, says TEXT, and changes nothing.
refused() {
	local want=$1 text=$2 d0
	shift 2
	d0=$(digest)
	run "$OUT" tx "$@"
	expect_rc "$want" "tongxin $*"
	expect_contains "$OUT" "$text"
	[ "$(digest)" = "$d0" ] || fail "tongxin $*: a refused command changed the replica"
}

step "an offline replica with a branch and five members (two named 王芳)"
"$TONGXIND" init "$TX_TMP/srv" --street 测试街道 --listen 127.0.0.1:1 >/dev/null
"$TONGXIND" enroll "$TX_TMP/srv" --org JD01 --device 办公室 --out "$TX_TMP/b.bundle" >/dev/null
tx join "$TX_TMP/b.bundle" >/dev/null
q "INSERT INTO org(id,code,name,kind,dissolved,_version)
   VALUES ('00000000-0000-7000-8000-000000000001','JD01','测试街道','street',0,1)"
tx org add --code SQ01 --name 幸福社区 --kind community >/dev/null
tx org add --code ZB01 --name 第一党支部 --kind branch --parent SQ01 --branch-type residential \
	>/dev/null
A=$(idn_male 19491231)
B=$(idn_female 19600101)
C=$(idn_male 19700505)
F1=$(idn_female 19800808)
F2=$(idn_female 19810909)
for p in "张三 $A male" "李四 $B female" "王五 $C male" "王芳 $F1 female" "王芳 $F2 female"; do
	set -- $p
	tx member add --name "$1" --gender "$3" --ethnicity 汉族 --id-number "$2" \
		--education bachelor --category full --branch ZB01 --join-date 2000-07-01 >/dev/null
done
ID_A=$(q "SELECT id FROM member WHERE id_number = '$A'")
ID_B=$(q "SELECT id FROM member WHERE id_number = '$B'")
ID_F1=$(q "SELECT id FROM member WHERE id_number = '$F1'")
ID_F2=$(q "SELECT id FROM member WHERE id_number = '$F2'")

step "--opt=value, and attendees by name and by citizen ID number"
run "$OUT" tx meeting add --org=ZB01 --kind=党课 --held-on=2025-05-01 --topic=学习党章 \
	--present=张三 --excused="$B:出差"
expect_rc 0 "meeting add with --opt=value"
M1=$(q "SELECT id FROM meeting WHERE topic = '学习党章'")
[ -n "$M1" ] || fail "meeting add --topic=学习党章 recorded no such meeting: $(cat "$OUT")"
ROLL=$(q "SELECT group_concat(member_id || ':' || status, ' ') FROM (SELECT member_id, status
	FROM attendance WHERE meeting_id = '$M1' ORDER BY status DESC)")
[ "$ROLL" = "$ID_A:present $ID_B:excused" ] || fail "attendees by name and citizen ID: $ROLL"

step "a value that looks like an option is the value"
run "$OUT" tx meeting add --org ZB01 --kind 党课 --held-on 2025-05-02 --topic=--csv
expect_rc 0 "meeting add --topic=--csv"
[ "$(q "SELECT count(*) FROM meeting WHERE topic = '--csv' AND held_on = '2025-05-02'")" = 1 ] ||
	fail "--topic=--csv did not record the topic \"--csv\""
expect_contains "$OUT" "已添加会议 Added meeting 2025-05-02 党课「--csv」"
run "$OUT" tx meeting add --org ZB01 --kind 党课 --held-on 2025-05-03 --topic --csv \
	--host 张三
expect_rc 0 "meeting add --topic --csv: a value that looks like an option is the value"
[ "$(q "SELECT host FROM meeting WHERE topic = '--csv' AND held_on = '2025-05-03'")" = 张三 ] ||
	fail "--topic --csv --host 张三 did not record the topic \"--csv\" and the host"
expect_contains "$OUT" "已添加会议 Added meeting 2025-05-03 党课「--csv」"
run "$OUT" tx item add --kind 问题 --title=--json --org ZB01
expect_rc 0 "item add --title=--json"
[ "$(q "SELECT count(*) FROM list_item WHERE title = '--json'")" = 1 ] ||
	fail "--title=--json did not record the title \"--json\""

step "a meeting by its id's last 6 characters, by the list's handle, and by --json's handle"
run "$OUT" tx meeting show "${M1: -6}"
expect_rc 0 "meeting show by a 6-character suffix"
expect_contains "$OUT" "$M1"
tx meeting list --kind 党课 >"$OUT"
H=$(awk '$5 == "学习党章" { print $1 }' "$OUT")
[ "$H" = "${M1: -8}" ] || fail "meeting list shows \"$H\" for the meeting, want its short handle ${M1: -8}: $(cat "$OUT")"
grep -Fq "$M1" "$OUT" && fail "meeting list prints the whole id: $(cat "$OUT")"
run "$OUT" tx meeting show "$H"
expect_rc 0 "meeting show by the handle the list shows"
expect_contains "$OUT" "主题      学习党章"
tx meeting list --json >"$OUT"
python3 - "$OUT" "$M1" <<'PY' || fail "meeting list --json: no \"handle\" beside \"id\": $(cat "$OUT")"
import json, sys
rows = {m["id"]: m for m in json.load(open(sys.argv[1]))}
assert rows[sys.argv[2]]["handle"] == sys.argv[2][-8:], rows
PY
tx meeting list --csv >"$OUT"
grep -Fq "$M1," "$OUT" || fail "meeting list --csv lost the whole id: $(cat "$OUT")"

step "-- ends the options"
run "$OUT" tx meeting show --json -- "${M1: -6}"
expect_rc 0 "meeting show --json -- SUFFIX"
expect_contains "$OUT" "\"handle\": \"${M1: -8}\""
refused 2 "多余的参数 unexpected argument \"--org\"" \
	meeting list -- --org ZB01

step "an item by the list's handle (claimed), by a 6-character suffix after -- (closed)"
run "$OUT" tx item add --kind 需求 --title 助餐 --org ZB01
expect_rc 0 "item add"
I=$(q "SELECT id FROM list_item WHERE title = '助餐'")
tx item list --open >"$OUT"
HI=$(awk '$3 == "助餐" { print $1 }' "$OUT")
[ "$HI" = "${I: -8}" ] || fail "item list shows \"$HI\", want ${I: -8}: $(cat "$OUT")"
run "$OUT" tx item claim "$HI" --by=第一党支部 --date=2025-06-01
expect_rc 0 "item claim by the list's handle"
[ "$(q "SELECT status || ' ' || claimed_by FROM list_item WHERE id = '$I'")" = \
	"claimed 第一党支部" ] || fail "item claim: $(q "SELECT * FROM list_item WHERE id = '$I'")"
run "$OUT" tx item close --note 已完成 -- "${I: -6}"
expect_rc 0 "item close --note TEXT -- SUFFIX"
[ "$(q "SELECT status FROM list_item WHERE id = '$I'")" = closed ] || fail "item close by suffix"

step "an ambiguous name: exit 7, the candidates listed, nothing recorded"
refused 7 "“王芳”对应多条党员" \
	meeting add --org ZB01 --kind 党课 --held-on 2025-05-04 --topic 歧义 --present "张三,王芳"
expect_contains "$OUT" "${ID_F1: -8}"
expect_contains "$OUT" "${ID_F2: -8}"
# Each 王芳 by her citizen ID number, or by her id's suffix, is unambiguous.
run "$OUT" tx meeting add --org ZB01 --kind 党课 --held-on 2025-05-04 --topic 不歧义 \
	--present "$F1,${ID_F2: -6}"
expect_rc 0 "meeting add with the two 王芳 by citizen ID and by suffix"

step "an unknown handle: exit 9, whatever the verb"
refused 9 "本副本中没有会议“ffffff” (not found)" meeting show ffffff
refused 9 "本副本中没有清单“123456” (not found)" item claim 123456 --by x
refused 9 "本副本中没有清单“123456” (not found)" item close 123456
refused 9 "未找到党员 no member \"无此人\" in this replica" \
	meeting add --org ZB01 --kind 党课 --held-on 2025-05-05 --topic 未知 --present "张三,无此人"
refused 9 "未知组织 unknown organisation code \"NOPE\"" item list --org NOPE
refused 7 "会议编号“abc”无效" meeting show abc

step "a missing required option or argument: exit 2, named"
refused 2 "tongxin meeting add: 缺少必填选项 --topic TEXT missing required option" \
	meeting add --org ZB01 --kind 党课 --held-on 2025-05-06
refused 2 "tongxin item add: 缺少必填选项 --title TEXT missing required option" \
	item add --kind 问题
refused 2 "tongxin item claim: 请给出一个认领方：--branch、--unit 或 --member（三者选一）" \
	item claim "${I: -6}"
refused 2 "tongxin item rectify: 缺少参数 ITEM missing argument" item rectify --note x
refused 2 "tongxin meeting add: 选项 --topic 缺少取值 option needs a value" \
	meeting add --org ZB01 --kind 党课 --held-on 2025-05-06 --topic

step "an unknown option or sub-verb: exit 2, named"
refused 2 "tongxin meeting list: 未知选项 unknown option --bogus" meeting list --bogus 1
refused 2 "tongxin item add: 未知选项 unknown option --status=closed" \
	item add --kind 问题 --title x --status=closed
refused 2 "tongxin item list: 选项 --open 不带取值 option takes no value" item list --open=yes
refused 2 "tongxin meeting: 未知子命令 unknown sub-verb \"delete\"" meeting delete "${M1: -6}"

step "--help lists the sub-verbs and the kinds"
run "$OUT" tx meeting add --help
expect_rc 0 "meeting add --help"
expect_contains "$OUT" "usage: tongxin meeting add --kind KIND --held-on DATE --topic TEXT"
expect_contains "$OUT" "组织生活会 life_meeting"
run "$OUT" tx item --help
expect_rc 0 "item --help"
expect_contains "$OUT" "tongxin item rectify ITEM --note TEXT"
expect_contains "$OUT" "需求 need"
run "$OUT" tx item claim --help
expect_rc 0 "item claim --help"
expect_contains "$OUT" "usage: tongxin item claim ITEM [--branch CODE] [--unit UNIT] [--member MEMBER] [--by NAME] [--date DATE]"
expect_not_contains "$OUT" "需求 need"

step "a topic or title of only blanks (ASCII or full-width) is refused: 7, nothing changed"
refused 7 "主题 不能只有空白字符" meeting add --org ZB01 --kind 支委会 --held-on 2025-05-10 --topic "   "
refused 7 "主题 不能只有空白字符" meeting add --org ZB01 --kind 支委会 --held-on 2025-05-10 --topic "　　"
refused 7 "事项 不能只有空白字符" item add --kind problem --title " 　 " --org ZB01
refused 7 "组织名称 不能只有空白字符" org add --code SQ09 --name "　" --kind community

step "done"
