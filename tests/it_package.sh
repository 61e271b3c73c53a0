#!/bin/bash
# it_package.sh - the Debian package (issue 12, item 1): debian/ builds
# with debhelper 13 from a copy of the tree (dpkg-buildpackage -b, the
# shared libraries, as a distribution links them), lintian finds nothing to
# report, the packages hold what an operator expects where Debian keeps it,
# and their scripts make the tongxin user and /var/lib/tongxin 0700 but
# enable and start nothing.
#
# Needs dpkg-buildpackage, debhelper and lintian (scripts/deps.sh installs
# them); without them the test says so and is skipped (ctest: SKIP_RETURN_CODE 77).
#
# Run by ctest (TONGXIND, TONGXIN, TX_PROBE set). TX_KEEP=1 keeps the files.

. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

D=$TX_TMP
SRC=$(cd "${TESTS_DIR:-$(dirname "$0")}/.." && pwd)

for tool in dpkg-buildpackage dh lintian; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "# $tool is not installed (scripts/deps.sh installs it): the package is not built"
		exit 77
	fi
done

step "dpkg-buildpackage -b from a copy of the tree"
mkdir -p "$D/tongxin-0.1.0"
# The sources only: no build directories, no git metadata.
(cd "$SRC" && tar --exclude='./build*' --exclude=./.git --exclude=./Testing \
	--exclude='./tests/web/node_modules' --exclude=./demo -cf - .) | tar -xf - -C "$D/tongxin-0.1.0"
(cd "$D/tongxin-0.1.0" && DEB_BUILD_OPTIONS="parallel=2 nocheck" \
	dpkg-buildpackage -b -us -uc >"$D/build.log" 2>&1) || {
	tail -40 "$D/build.log" >&2
	fail "dpkg-buildpackage failed (above: the end of its log)"
}
changes=$(ls "$D"/tongxin_0.1.0_*.changes)
[ -f "$changes" ] || fail "no .changes file"
for p in tongxind tongxin; do
	ls "$D/${p}_0.1.0_"*.deb >/dev/null 2>&1 || fail "no $p package"
done

step "lintian"
lintian --fail-on error,warning "$changes" >"$D/lintian.out" 2>&1 || {
	cat "$D/lintian.out" >&2
	fail "lintian reports the packages (above)"
}
# lintian's own remark when run as root (CI runs as root) is not about the packages.
grep -v '^running with root privileges is not recommended!$' "$D/lintian.out" >"$D/lintian.tags" || true
if [ -s "$D/lintian.tags" ]; then
	cat "$D/lintian.out" >&2
	fail "lintian has something to say (above)"
fi

step "what the packages hold"
dpkg-deb -c "$D"/tongxind_0.1.0_*.deb | awk '{print $6}' >"$D/tongxind.files"
dpkg-deb -c "$D"/tongxin_0.1.0_*.deb | awk '{print $6}' >"$D/tongxin.files"
for f in ./usr/sbin/tongxind ./lib/systemd/system/tongxind.service \
	./usr/lib/sysusers.d/tongxin.conf ./usr/share/man/man8/tongxind.8.gz \
	./usr/share/man/man5/tongxind.conf.5.gz ./usr/share/doc/tongxind/copyright; do
	grep -qxF "$f" "$D/tongxind.files" || fail "tongxind's package has no $f"
done
grep -q '^./usr/share/doc/tongxind/examples/tongxind.conf.example' "$D/tongxind.files" ||
	fail "tongxind's package has no sample tongxind.conf"
for f in ./usr/bin/tongxin ./usr/share/man/man1/tongxin.1.gz; do
	grep -qxF "$f" "$D/tongxin.files" || fail "tongxin's package has no $f"
done
grep -q 'tongxind' "$D/tongxin.files" && fail "tongxin's package holds server files"
dpkg-deb -f "$D"/tongxind_0.1.0_*.deb Depends | grep -q libssl3 ||
	fail "tongxind does not depend on Debian's OpenSSL"
dpkg-deb -f "$D"/tongxin_0.1.0_*.deb Depends | grep -q libsqlite3 ||
	fail "the packaged tongxin does not link Debian's SQLite"

step "the scripts: a user and a private folder, nothing enabled or started"
mkdir "$D/ctl"
dpkg-deb -e "$D"/tongxind_0.1.0_*.deb "$D/ctl"
expect_contains "$D/ctl/postinst" "adduser --system --group --home /var/lib/tongxin"
expect_contains "$D/ctl/postinst" "install -d -o tongxin -g tongxin -m 0700 /var/lib/tongxin"
# debhelper's snippets: enable only a unit that was enabled before (an upgrade),
# start only through deb-systemd-invoke, which leaves a disabled unit alone.
expect_not_contains "$D/ctl/postinst" "systemctl enable"
expect_not_contains "$D/ctl/postinst" "systemctl start"
expect_not_contains "$D/ctl/postinst" "Enables the unit on first installation"
# Each "deb-systemd-helper enable" sits under an "if ... was-enabled" of the lines just before it.
if ! awk '/was-enabled/ { guard = NR } /deb-systemd-helper enable/ && (guard == 0 || NR - guard > 3) { bad = 1 }
	END { exit bad }' "$D/ctl/postinst"; then
	cat "$D/ctl/postinst" >&2
	fail "postinst enables tongxind.service other than on an upgrade of an enabled unit"
fi
for s in postrm prerm; do
	[ -f "$D/ctl/$s" ] || continue
	grep -E 'rm -r.*/var/lib/tongxin|deluser' "$D/ctl/$s" && fail "$s removes the street's data or user"
done

echo "ok: it_package"
