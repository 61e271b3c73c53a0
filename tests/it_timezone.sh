#!/bin/bash
# it_timezone.sh - the street's time zone (issue 12, item 3): time_zone in
# tongxind.conf (default Asia/Shanghai) is the zone of every "today" on the
# server, and the offices' tongxin learn it from the server's Welcome.
#
# Deterministic whatever the real clock: D, today in UTC+14 (Etc/GMT-14),
# is always later than today in UTC-12 (Etc/GMT+12), the two being 26 hours
# apart. The server runs with TZ=UTC and the office's tongxin with
# TZ=Etc/GMT+12 in their environments, so only the street's zone can make D
# today for either of them:
#   - with time_zone = Etc/GMT-14, the office learns the zone at its first
#     sync; a meeting held on D is taken by tongxin and applied by the server;
#   - after time_zone = Etc/GMT+12 and SIGHUP (the log says the new zone and
#     its today), a second meeting on D, made on the replica that still has
#     the old zone, is rejected by the server as in the future (sync exits
#     10 and says why), and the replica has learned the new zone at that
#     sync: a third meeting on D is refused at once, in Chinese, and
#     nothing is written;
#   - a zone the replica holds that this machine does not know leaves
#     tongxin in its own zone;
#   - SIGHUP with an unknown zone changes nothing (a warning naming the line);
#   - a server started with TZ=UTC and no time_zone key uses Asia/Shanghai:
#     check says "default", serve's log says the zone and its today; with
#     no zone files at all ($TZDIR empty) it keeps CST-8 and says so, and a
#     zone the file names is then an error.
#
# Run by ctest (TONGXIND, TONGXIN, TX_PROBE set). TX_KEEP=1 keeps the files.

. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

D=$TX_TMP
SRV=$D/srv
DB=$D/a.db
OUT=$D/out
chmod 700 "$D"

# The office's tongxin, on a machine whose clock runs in UTC-12.
tx() { TZ=Etc/GMT+12 "$TONGXIN" --replica "$DB" "$@"; }
meta_zone() { sqlite3 "$DB" "SELECT value FROM meta WHERE key = 'time_zone'"; }
meetings() { sqlite3 "$1" "SELECT count(*) FROM meeting WHERE held_on = '$DAY' AND topic = '$2'"; }
# Set time_zone in tongxind.conf to $1 (none when empty).
set_zone() {
	sed -i '/^time_zone *=/d' "$SRV/tongxind.conf"
	[ -z "$1" ] || echo "time_zone = $1" >>"$SRV/tongxind.conf"
}

DAY=$(TZ=Etc/GMT-14 date +%F)
LATE_TODAY=$(TZ=Etc/GMT+12 date +%F)
[[ $DAY > $LATE_TODAY ]] || fail "today in UTC+14 ($DAY) is not after today in UTC-12 ($LATE_TODAY)"

step "a street whose zone is Etc/GMT-14, served with TZ=UTC"
run "$D/init.out" "$TONGXIND" init "$SRV" --street 和平街道 --listen "$TX_ADDR"
expect_rc 0 "tongxind init"
set_zone Etc/GMT-14
run "$D/check.out" "$TONGXIND" check "$SRV"
expect_rc 0 "tongxind check"
grep -qE "^time_zone = Etc/GMT-14 +# $SRV/tongxind.conf:[0-9]+$" "$D/check.out" ||
	{ cat "$D/check.out" >&2; fail "check does not show time_zone with its line"; }
TZ=UTC street_up "$SRV" "$DB"
expect_contains "$TX_SERVER_LOG" "info: street time zone Etc/GMT-14 (today $DAY)"
[ "$(meta_zone)" = Etc/GMT-14 ] ||
	fail "the replica did not keep the zone of the server's Welcome (meta time_zone: \"$(meta_zone)\")"
tx -q org add --code SQ01 --name 和平社区 --kind community || fail "org add SQ01"
tx -q org add --code SQ01-01 --name 第一党支部 --kind branch --parent SQ01 || fail "org add SQ01-01"

step "a meeting held today in the street's zone ($DAY) is taken and applied"
run "$OUT" tx meeting add --org SQ01-01 --kind 党课 --held-on "$DAY" --topic 第一次
expect_rc 0 "meeting add --held-on $DAY (today in Etc/GMT-14, tomorrow where the clerk's clock is)"
run "$OUT" tx sync
expect_rc 0 "the sync of the first meeting"
expect_contains "$OUT" "0 rejected"
[ "$(meetings "$SRV/tongxind.db" 第一次)" = 1 ] || fail "the server does not hold the first meeting"

step "SIGHUP: the street moves to Etc/GMT+12; a meeting on $DAY made before it learns is rejected"
mark=$(log_mark)
set_zone Etc/GMT+12
kill -HUP "$TX_SERVER_PID"
wait_for_text "$TX_SERVER_LOG" "info: SIGHUP: street time zone Etc/GMT+12 (today $(TZ=Etc/GMT+12 date +%F))"
run "$OUT" tx meeting add --org SQ01-01 --kind 党课 --held-on "$DAY" --topic 第二次
expect_rc 0 "meeting add on the replica that still has the old zone"
run "$OUT" tx sync
expect_rc 10 "a sync whose change the server rejects"
expect_contains "$OUT" "1 rejected"
expect_contains "$OUT" "日期 $DAY 晚于今天"
[ "$(meetings "$SRV/tongxind.db" 第二次)" = 0 ] || fail "the server took a meeting in its future"
server_alive || fail "the server died"

step "the replica learned the new zone: a third meeting on $DAY is refused at once"
[ "$(meta_zone)" = Etc/GMT+12 ] || fail "the replica kept the zone \"$(meta_zone)\" after the sync"
before=$(sqlite3 "$DB" "SELECT count(*) FROM meeting")
run "$OUT" tx meeting add --org SQ01-01 --kind 党课 --held-on "$DAY" --topic 第三次
[ "$TX_RC" -ne 0 ] || fail "tongxin took a meeting in the street's future"
expect_contains "$OUT" "日期 $DAY 晚于今天"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM meeting")" = "$before" ] ||
	fail "a refused meeting was written to the replica"

step "a zone this machine does not know leaves tongxin in its own"
# On a copy, so that the street never sees this meeting.
sqlite3 "$DB" ".backup '$D/b.db'"
sqlite3 "$D/b.db" "UPDATE meta SET value = '../../etc/passwd' WHERE key = 'time_zone'"
run "$OUT" env TZ=Etc/GMT-14 "$TONGXIN" --replica "$D/b.db" meeting add --org SQ01-01 \
	--kind 党课 --held-on "$DAY" --topic 第四次
expect_rc 0 "meeting add where the replica's zone is not a zone (the clerk's own zone is UTC+14)"
sqlite3 "$D/b.db" "UPDATE meta SET value = 'Etc/GMT+12' WHERE key = 'time_zone'"
run "$OUT" env TZ=Etc/GMT-14 "$TONGXIN" --replica "$D/b.db" meeting add --org SQ01-01 \
	--kind 党课 --held-on "$DAY" --topic 第五次
[ "$TX_RC" -ne 0 ] || fail "the replica's zone Etc/GMT+12 did not win over the clerk's TZ"

step "SIGHUP with an unknown zone changes nothing"
mark=$(log_mark)
set_zone Asia/Beijing
kill -HUP "$TX_SERVER_PID"
wait_for_text "$TX_SERVER_LOG" "the settings in force are kept"
log_since "$mark" | grep -qF "tongxind.conf:$(wc -l <"$SRV/tongxind.conf"): unknown time zone \"Asia/Beijing\"" ||
	fail "the SIGHUP warning does not name the line of the unknown zone"
log_since "$mark" >"$D/hup.lines"
expect_not_contains "$D/hup.lines" "street time zone"
stop_server

step "no time_zone key, TZ=UTC: the street is Asia/Shanghai"
set_zone ""
run "$D/check2.out" env TZ=UTC "$TONGXIND" check "$SRV"
expect_rc 0 "tongxind check without time_zone"
grep -qE '^time_zone = Asia/Shanghai +# default$' "$D/check2.out" ||
	{ cat "$D/check2.out" >&2; fail "check does not show the default zone Asia/Shanghai"; }
mark=$(log_mark)
sh_before=$(TZ=Asia/Shanghai date +%F)
TZ=UTC start_server "$SRV"
sh_after=$(TZ=Asia/Shanghai date +%F)
wait_for_text "$TX_SERVER_LOG" "serving street"
log_since "$mark" | grep -qE "info: street time zone Asia/Shanghai \(today ($sh_before|$sh_after)\)" ||
	fail "serve with TZ=UTC does not say the street's zone Asia/Shanghai and its today"
run "$OUT" tx sync
expect_rc 0 "a sync with the default zone"
[ "$(meta_zone)" = Asia/Shanghai ] || fail "the replica did not learn the default zone (\"$(meta_zone)\")"
stop_server

step "no zone files (no tzdata): the default is China Standard Time, and the log says so"
mkdir "$D/nozones"
run "$D/check3.out" env TZ=UTC TZDIR="$D/nozones" "$TONGXIND" check "$SRV"
expect_rc 0 "tongxind check without zone files"
expect_contains "$D/check3.out" "# default (no zone file here: CST-8, UTC+8 all year)"
mark=$(log_mark)
sh_before=$(TZ=Asia/Shanghai date +%F)
TZ=UTC TZDIR="$D/nozones" start_server "$SRV"
sh_after=$(TZ=Asia/Shanghai date +%F)
log_since "$mark" | grep -qE "info: street time zone Asia/Shanghai \(no zone file for it here, .*CST-8, .*today ($sh_before|$sh_after)\)" ||
	fail "serve without zone files does not say it keeps CST-8 and its today"
stop_server
set_zone Etc/GMT-14
run "$D/check4.out" env TZDIR="$D/nozones" "$TONGXIND" check "$SRV"
expect_rc 1 "tongxind check on a zone without its file"
expect_contains "$D/check4.out" "unknown time zone \"Etc/GMT-14\" ($D/nozones/Etc/GMT-14 does not exist)"

echo "ok: it_timezone"
