#!/bin/bash
# it_man_lint.sh - the manual pages (issue 12, item 4): docs/man/tongxind.8,
# tongxin.1 and tongxind.conf.5 are clean mdoc and say what the programs do:
#   - "mandoc -Tlint -Wall" prints nothing for each page, but for one
#     message that depends on the machine, not the page: "referenced manual
#     not found" (mandoc looks an .Xr up in /usr/share/man only, where our
#     own pages are not installed, nor are other packages' pages on every
#     machine). An .Xr to one of our pages must name one of the three,
#     with its section, instead;
#   - every command, option and exit status "tongxind --help" and
#     "tongxind COMMAND --help" list is in tongxind.8 (a command as an
#     ".It Cm NAME" line, an option as an ".It Fl --name" line), and every variable server/*.c reads
#     with getenv is under ENVIRONMENT;
#   - every verb "tongxin --help" lists and every sub-verb "tongxin VERB
#     --help" lists ("member lost", "committee household add", each of
#     "report profile|compliance|...") is on an ".It Nm Cm VERB ..." line
#     of tongxin.1 with its verb; so are the global options (".It Fl")
#     and the exit statuses, and the variables client/*.c reads (not the tests' hooks,
#     TONGXIN_TEST_*);
#   - every key server/conf.c accepts (conf_limit_keys and the strcmp's of
#     conf_read) has an ".It Cm KEY" line in tongxind.conf.5, and every key
#     that page describes is one conf.c accepts.
# So a new command, verb, option or key without its page entry fails here.
#
# mandoc is not installed by this test: scripts/deps.sh installs it.
#
# Run by ctest (TONGXIND, TONGXIN, TX_PROBE set). TX_KEEP=1 keeps the files.

. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

SRC=$(cd "${TESTS_DIR:-$(dirname "$0")}/.." && pwd)
MAN=$SRC/docs/man
D=$TX_TMP
PAGES="tongxind.8 tongxin.1 tongxind.conf.5"

command -v mandoc >/dev/null 2>&1 ||
	fail "mandoc is not installed, so the manual pages cannot be checked; install it with scripts/deps.sh (or: apt-get install mandoc)"

step "mandoc -Tlint -Wall"
for p in $PAGES; do
	[ -f "$MAN/$p" ] || fail "docs/man/$p is missing"
	# Keep mandoc's messages, but for the .Xr lookups this machine decides.
	mandoc -Tlint -Wall "$MAN/$p" >"$D/$p.lint" 2>&1 || true
	grep -v -e 'STYLE: referenced manual not found: Xr ' -e 'outdated mandoc.db lacks ' \
		"$D/$p.lint" >"$D/$p.lint.rest" || true
	if [ -s "$D/$p.lint.rest" ]; then
		cat "$D/$p.lint.rest" >&2
		fail "mandoc -Tlint -Wall docs/man/$p is not clean (above)"
	fi
	mandoc -Tutf8 "$MAN/$p" >"$D/$p.txt" 2>"$D/$p.err" ||
		fail "mandoc cannot render docs/man/$p: $(cat "$D/$p.err")"
	# .Dt NAME SECTION agrees with the file name.
	name=${p%.*}
	sec=${p##*.}
	dt=$(grep -m1 '^\.Dt ' "$MAN/$p" || true)
	[ "$dt" = ".Dt ${name^^} $sec" ] || fail "docs/man/$p: \"$dt\", want \".Dt ${name^^} $sec\""
	# Cross-references to our own pages name one that exists, in its section.
	while read -r _ xname xsec _; do
		case "$xname" in
		tongxin* | tongxind*)
			[ -f "$MAN/$xname.$xsec" ] ||
				fail "docs/man/$p refers to $xname($xsec), which is not one of docs/man/*"
			;;
		esac
	done < <(grep '^\.Xr ' "$MAN/$p")
done

# The .It lines of page $1 with continuation lines joined, one per line.
it_lines() {
	sed -e ':a' -e '/\\$/{N;s/\\\n//;ba' -e '}' "$1" | grep '^\.It ' || true
}

step "tongxind: every command, option and exit status"
"$TONGXIND" --help >"$D/tongxind.help"
it_lines "$MAN/tongxind.8" >"$D/tongxind.it"
cmds=$(sed -n 's/^  tongxind \([a-z][a-z-]*\).*/\1/p' "$D/tongxind.help")
[ -n "$cmds" ] || fail "no commands found in tongxind --help"
for c in $cmds; do
	grep -Eq "^\.It Cm $c( |$)" "$D/tongxind.it" ||
		fail "tongxind.8 has no \".It Cm $c\" entry for \"tongxind $c\""
	"$TONGXIND" "$c" --help >>"$D/tongxind.help"
done
opts=$(grep -oE '(^|[[ ])--?[a-z][a-z-]*' "$D/tongxind.help" | sed 's/^[[ ]//' | sort -u)
grep '^\.It Fl ' "$D/tongxind.it" >"$D/tongxind.it-fl" || true
for o in $opts; do
	grep -Eq "Fl ${o#-}( |$)" "$D/tongxind.it-fl" ||
		fail "tongxind.8 does not describe the option $o (want \".It Fl ${o#-}\")"
done
for n in $(sed -n 's/^Exit status: //p' "$D/tongxind.help" | head -n1 | grep -oE '(^| )[0-9]+ ' ); do
	grep -Eq "^\.It $n$" "$MAN/tongxind.8" || fail "tongxind.8: no EXIT STATUS entry for $n"
done
for v in $(grep -ohE 'getenv\("[A-Z_]+"\)' "$SRC"/server/*.c | sed 's/getenv("\(.*\)")/\1/' | sort -u); do
	grep -Eq "^\.It Ev $v( |$)" "$MAN/tongxind.8" ||
		fail "tongxind.8: the server reads \$$v; ENVIRONMENT does not say what for"
done

step "tongxin: every verb and sub-verb, global option and exit status"
"$TONGXIN" --help >"$D/tongxin.help"
it_lines "$MAN/tongxin.1" | sed 's/ | / /g' >"$D/tongxin.it"
verbs=$(sed -n 's/^  tongxin \([a-z][a-z-]*\).*/\1/p' "$D/tongxin.help")
[ -n "$verbs" ] || fail "no verbs found in tongxin --help"
nchains=0
for v in $verbs; do
	"$TONGXIN" "$v" --help >"$D/verb-$v.help" 2>&1 ||
		fail "tongxin $v --help exited $?"
	# The sub-verb words after "tongxin VERB" on each usage line.
	chains=$(cat "$D/tongxin.help" "$D/verb-$v.help" |
		sed -n "s/^\(usage:\)\{0,1\} *tongxin $v\( \(.*\)\)\{0,1\}\$/\3/p" |
		awk '{ c = ""; for (i = 1; i <= NF && $i ~ /^[a-z][a-z|-]*$/; i++) c = c " " $i; print c }' |
		sort -u)
	# A verb without sub-verbs still needs its line.
	chains=${chains:- }
	while IFS= read -r chain; do
		# "activist|candidate|admit": each alternative on its own.
		read -ra words <<<"$chain"
		alts=("")
		for w in "${words[@]}"; do
			if [[ $w == *"|"* ]]; then
				IFS='|' read -ra alts <<<"$w"
				words=("${words[@]/$w/}")
			fi
		done
		for alt in "${alts[@]}"; do
			want="$v ${words[*]} $alt"
			nchains=$((nchains + 1))
			awk -v want="$want" '
				BEGIN { n = split(want, w, " ") }
				$1 == ".It" && $2 == "Nm" && $3 == "Cm" && $4 == w[1] {
					delete have
					for (i = 5; i <= NF; i++) have[$i] = 1
					ok = 1
					for (j = 2; j <= n; j++) if (!(w[j] in have)) ok = 0
					if (ok) { found = 1; exit }
				}
				END { exit !found }' "$D/tongxin.it" ||
				fail "tongxin.1 has no \".It Nm Cm $v ...\" line naming \"tongxin $(echo "$want" | xargs)\""
		done
	done <<<"$chains"
done
step "  $(echo "$verbs" | wc -w) verbs, $nchains verb and sub-verb entries"
gopts=$(sed -n '/^Global options:/,/^$/p' "$D/tongxin.help" | grep -oE '(^|[ ,])--?[a-z][a-z-]*' |
	sed 's/^[ ,]//' | sort -u)
[ -n "$gopts" ] || fail "no global options found in tongxin --help"
grep '^\.It Fl ' "$D/tongxin.it" >"$D/tongxin.it-fl" || true
for o in $gopts --help --version; do
	grep -Eq "Fl ${o#-}( |$)" "$D/tongxin.it-fl" ||
		fail "tongxin.1 does not describe the global option $o (want \".It Fl ${o#-}\")"
done
codes=$(sed -n '/^Exit status:/,/^$/p' "$D/tongxin.help" | grep -oE '(^|[ :,])[0-9]+ [a-z]' |
	grep -oE '[0-9]+' | sort -un)
[ "$(echo "$codes" | wc -l)" -ge 9 ] || fail "cannot read the exit statuses of tongxin --help: $codes"
for n in $codes; do
	grep -Eq "^\.It $n$" "$MAN/tongxin.1" || fail "tongxin.1: no EXIT STATUS entry for $n"
done
for v in $(grep -ohE 'getenv\("[A-Z_]+"\)' "$SRC"/client/*.c | sed 's/getenv("\(.*\)")/\1/' |
	grep -v '^TONGXIN_TEST_' | sort -u); do
	grep -Eq "^\.It Ev $v( |$)" "$MAN/tongxin.1" ||
		fail "tongxin.1: tongxin reads \$$v; ENVIRONMENT does not say what for"
done

step "tongxind.conf: every key conf.c accepts, and no other"
keys=$( (sed -n '/conf_limit_keys\[\] = {/,/^};/p' "$SRC/server/conf.c" |
	grep -oE '\{ "[a-z_]+"' | grep -oE '[a-z_]+'
	grep -oE 'strcmp\(k, "[a-z_]+"\)' "$SRC/server/conf.c" | grep -oE '"[a-z_]+"' | tr -d '"') |
	sort -u)
[ "$(echo "$keys" | wc -l)" -ge 10 ] || fail "cannot read the keys of server/conf.c: $keys"
for k in $keys; do
	grep -Eq "^\.It Cm $k( |$)" "$MAN/tongxind.conf.5" ||
		fail "tongxind.conf.5 has no \".It Cm $k\" entry for the key $k"
done
for k in $(sed -n 's/^\.It Cm \([a-z_]*\) No = .*/\1/p' "$MAN/tongxind.conf.5"); do
	echo "$keys" | grep -qx "$k" ||
		fail "tongxind.conf.5 describes a key \"$k\" that server/conf.c does not accept"
done
step "  $(echo "$keys" | wc -l) keys"

echo "ok: it_man_lint"
