#!/bin/bash
# test/suites/packaging.sh: what a packager or PGXN reads agrees with the
# extension: META.json is valid PGXN metadata (meta-spec 1.0.0) whose
# version is churn.control's default_version (as semver: 1.1 -> 1.1.0), the
# license it names is LICENSE's, every released install script and upgrade
# script is installed by the Makefile, and `make dist` makes an archive of
# the committed tree that builds on its own and installs the reference pages
# of doc/ where PGXS installs an extension's DOCS.

set -u
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
cd "$CHURN_ROOT"
failed=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; failed=1; }

control_version=$(sed -n "s/^default_version = '\(.*\)'$/\1/p" churn.control)
meta=$(python3 - "$control_version" <<'PY'
import json, sys
version = sys.argv[1]
semver = version if version.count(".") == 2 else version + ".0"
m = json.load(open("META.json"))
problems = []
for key in ("name", "abstract", "version", "maintainer", "license", "provides", "meta-spec"):
    if key not in m:
        problems.append("no %s" % key)
if m.get("name") != "churn":
    problems.append("name %r" % m.get("name"))
if m.get("version") != semver:
    problems.append("version %r, churn.control says %s" % (m.get("version"), version))
prov = m.get("provides", {}).get("churn", {})
if prov.get("version") != semver:
    problems.append("provides.churn.version %r" % prov.get("version"))
if prov.get("file") and not __import__("os").path.exists(prov["file"]):
    problems.append("provides.churn.file %r does not exist" % prov["file"])
if m.get("meta-spec", {}).get("version") != "1.0.0":
    problems.append("meta-spec %r" % m.get("meta-spec"))
if m.get("license") != "postgresql":
    problems.append("license %r" % m.get("license"))
req = m.get("prereqs", {}).get("runtime", {}).get("requires", {}).get("PostgreSQL")
if req != "15.0.0":
    problems.append("prereqs runtime PostgreSQL %r (churn supports 15 and later)" % req)
print("; ".join(problems) or "ok")
PY
)
[ "$meta" = ok ] && ok "META.json: PGXN meta-spec 1.0.0, version $control_version as in churn.control" ||
	notok "META.json: $meta"

grep -q "^Permission to use, copy, modify, and distribute this software" LICENSE &&
	ok "LICENSE is the PostgreSQL License, as META.json says" || notok "LICENSE is not the PostgreSQL License"

# every frozen install script and every upgrade script is installed
missing=""
for f in churn--*.sql; do
	[ "$f" = "churn--$control_version.sql" ] && continue
	git ls-files --error-unmatch "$f" >/dev/null 2>&1 || ! git rev-parse --git-dir >/dev/null 2>&1 || { missing="$missing $f(not committed)"; continue; }
	sed -n 's/^DATA = //p' Makefile | tr ' ' '\n' | grep -qx "$f" || missing="$missing $f"
done
[ -z "$missing" ] && ok "the Makefile installs every released and upgrade script" ||
	notok "scripts the Makefile does not install or git does not hold:$missing"

# a checkout: a clone (.git a directory) or a worktree (.git a file)
if ! command -v git >/dev/null || ! git rev-parse --git-dir >/dev/null 2>&1; then
	ok "make dist # SKIP not a git checkout"
	exit $failed
fi
work=$CHURN_TMP/packaging
rm -rf "$work"
mkdir -p "$work"
if make -s PG_CONFIG="$PG_CONFIG" dist >"$work/dist.err" 2>&1 && mv "churn-$control_version.zip" "$work/churn.zip"; then
	(cd "$work" && python3 -m zipfile -e churn.zip . >/dev/null)
	if [ -f "$work/churn-$control_version/META.json" ] && [ -f "$work/churn-$control_version/churn--1.0.sql" ] &&
		make -s -C "$work/churn-$control_version" PG_CONFIG="$PG_CONFIG" >"$work/build.log" 2>&1 &&
		[ -f "$work/churn-$control_version/churn--$control_version.sql" ]; then
		ok "the release archive of HEAD holds META.json and the released scripts, and builds"
	else
		notok "the release archive does not build: $(tail -3 "$work/build.log" 2>/dev/null)"
	fi
	# the reference pages travel in the archive, and its make install puts
	# them into a directory of churn's own: share/doc/.../extension/churn
	pages=$(git ls-files 'doc/*.md' | sort)
	in_zip=$(cd "$work/churn-$control_version" && ls doc/*.md 2>/dev/null | sort)
	docdir=$("$PG_CONFIG" --docdir)
	missing_doc=""
	if [ -n "$pages" ] && [ "$pages" = "$in_zip" ] &&
		make -s -C "$work/churn-$control_version" PG_CONFIG="$PG_CONFIG" install DESTDIR="$work/inst" >"$work/install.log" 2>&1; then
		for f in $pages; do
			[ -f "$work/inst$docdir/extension/churn/$(basename "$f")" ] || missing_doc="$missing_doc $f"
		done
		[ -z "$missing_doc" ] && ok "the archive holds doc/ ($(echo $pages | wc -w) pages) and installs them into $docdir/extension/churn" ||
			notok "make install of the archive leaves out:$missing_doc"
	else
		notok "the archive's doc/ differs from the tree's or does not install: $(tail -3 "$work/install.log" 2>/dev/null)"
	fi
else
	notok "make dist: $(cat "$work/dist.err")"
fi
exit $failed
