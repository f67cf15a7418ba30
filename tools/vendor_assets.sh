#!/usr/bin/env bash
# Re-creates assets/vendor/ from the npm registry at the pinned versions below.
# The result is committed, so `make book` needs no network and no npm; run this only to upgrade.
set -euo pipefail
MATHJAX=3.2.2
HTML_MANAGER=1.0.15
REQUIREJS=2.3.8
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/assets/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "mathjax@$MATHJAX" "@jupyter-widgets/html-manager@$HTML_MANAGER" "requirejs@$REQUIREJS" >/dev/null
for tarball in *.tgz; do mkdir -p "${tarball%.tgz}"; tar xzf "$tarball" -C "${tarball%.tgz}"; done
rm -rf "$out/mathjax" "$out/html-manager" "$out/requirejs"
mkdir -p "$out/mathjax" "$out/html-manager" "$out/requirejs"
# MathJax: the CommonHTML TeX bundle plus what it loads on demand (extensions, fonts, menu,
# accessibility); the SVG and combined "full" bundles are not used by the site.
es5="mathjax-$MATHJAX/package/es5"
cp -r "$es5"/{tex-chtml.js,core.js,loader.js,startup.js,input,output,ui,a11y,adaptors,sre} "$out/mathjax/"
rm -rf "$out/mathjax/output/svg" "$out/mathjax/output/svg.js"
cp "mathjax-$MATHJAX/package/LICENSE" "$out/mathjax/LICENSE"
# The Jupyter widgets HTML manager (AMD build, loaded with require.js) and the fonts its CSS uses.
dist="jupyter-widgets-html-manager-$HTML_MANAGER/package/dist"
cp "$dist"/embed-amd.js "$dist"/*.woff "$dist"/*.woff2 "$dist"/*.ttf "$dist"/*.eot "$dist"/*.svg "$out/html-manager/"
cp "$dist/embed.js.LICENSE.txt" "$out/html-manager/THIRD-PARTY-LICENSES.txt"
# require.js, minified by nothing: the registry's require.js is the reference build.
cp "requirejs-$REQUIREJS/package/require.js" "$out/requirejs/require.js"
node -e "for (const p of process.argv.slice(1)) { const j = require(p); console.log(j.name + '@' + j.version + '  license: ' + j.license); }" \
  "$work/mathjax-$MATHJAX/package/package.json" \
  "$work/jupyter-widgets-html-manager-$HTML_MANAGER/package/package.json" \
  "$work/requirejs-$REQUIREJS/package/package.json" > "$out/VERSIONS.txt"
echo "vendored into $out:"; cat "$out/VERSIONS.txt"
