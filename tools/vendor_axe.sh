#!/usr/bin/env bash
# Re-creates tests/browser/vendor/axe-core/ (axe.min.js, its licences, VERSIONS.txt) from the npm
# registry at the pinned version. The result is committed: the accessibility tests
# (tests/browser/test_accessibility.py) need no network and no npm; run this only to upgrade.
set -euo pipefail
AXE=4.14.1
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/tests/browser/vendor/axe-core"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "axe-core@$AXE" >/dev/null
tar xzf "axe-core-$AXE.tgz"
rm -rf "$out"
mkdir -p "$out"
cp package/axe.min.js package/LICENSE package/LICENSE-3RD-PARTY.txt "$out/"
node -e "const j = require(process.argv[1]); console.log(j.name + '@' + j.version + '  license: ' + j.license)" \
  "$work/package/package.json" > "$out/VERSIONS.txt"
(cd "$out" && sha256sum axe.min.js >> VERSIONS.txt)
echo "vendored into $out:"; cat "$out/VERSIONS.txt"
