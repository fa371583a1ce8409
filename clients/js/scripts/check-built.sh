#!/usr/bin/env bash
# Checks that the client files committed where the nodes serve them (src/main/resources/webroot:
# liveroom.js, liveroom.mjs) equal a fresh build of clients/js, and that the package's version is
# the project's (pom.xml). Needs `npm ci` in clients/js first. Fix a difference with `npm run webroot`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="$(cd "$here/../.." && pwd)"
webroot="$root/src/main/resources/webroot"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

pom_version="$(sed -n '/<artifactId>liveroom<\/artifactId>/,/<version>/ s:.*<version>\(.*\)</version>.*:\1:p' "$root/pom.xml" | head -n 1)"
pkg_version="$(node -p "require('$here/package.json').version")"
if [[ "$pom_version" != "$pkg_version" ]]; then
  echo "check-built: clients/js/package.json has version $pkg_version, pom.xml has $pom_version" >&2
  exit 1
fi

(cd "$here" && node scripts/build.mjs --out "$tmp")
rc=0
for pair in "liveroom.min.js:liveroom.js" "liveroom.mjs:liveroom.mjs"; do
  built="$tmp/${pair%%:*}"
  served="$webroot/${pair##*:}"
  if ! cmp -s "$built" "$served"; then
    echo "check-built: $served differs from a fresh build of clients/js (run: cd clients/js && npm run webroot)" >&2
    rc=1
  fi
done
if ((rc == 0)); then
  echo "check-built: webroot/liveroom.js and webroot/liveroom.mjs equal a fresh build ($pkg_version)"
fi
exit "$rc"
