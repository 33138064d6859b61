#!/usr/bin/env bash
# Re-vendor the GraphiQL browser assets served by the gateway.
#
#   scripts/vendor-graphiql.sh           fetch the pinned packages with `npm pack`, verify, install
#   scripts/vendor-graphiql.sh --check   offline: verify the committed files against the pins below
#                                         and against the integrity attributes of index.html
#
# Writes only the vendored assets, LICENSES/ and VERSIONS under app/static/graphiql/; index.html is
# hand-maintained and never touched. Idempotent: a second run produces byte-identical files.
# Tarballs are unpacked in a mktemp directory that is removed on exit: no node_modules, no .tgz in
# the repo. Needs node + npm (registry access) and tar.
#
# The versions are those of Strawberry's stock graphiql.html (strawberry-graphql 0.341.2); the
# sha384 values are the `integrity` attributes of that page; graphql-ws (not on the stock page) is
# pinned to its own npm tarball. graphiql 5.x ships no browser bundle:
# do not bump past 3.x without a bundler.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/app/static/graphiql"

# package@version | tarball sha512 (npm registry "integrity")
PACKAGES=(
  "react@18.2.0|sha512-/3IjMdb2L9QbBdWiW5e3P2/npwMBaU9mHCSCUzNln0ZCYbcfTsGbTJrU/kGemdH2IWmB2ioZ+zkxtmq6g09fGQ=="
  "react-dom@18.2.0|sha512-6IMTriUmvsjHUjNtEDudZfuDQUoWXVxKHhlEGSk81n4YFS+r/Kl99wXiwlVXtPBtJenozv2P+hxDsw9eA7Xo6g=="
  "graphiql@3.8.3|sha512-cuPDYtXVKV86Pu5PHBX642Odi/uVEE2y1Jxq5rGO/Qy1G2lRp7ZZ7a/T30RzxhuLSWo9zUbzq0P3U49//H0Ugw=="
  "@graphiql/plugin-explorer@1.0.2|sha512-9j+kg2UjtLZD5EBmGjeWHkoVVxtbShYg2DzbUVebibnZYZM/iMBEF4vaccXJIAm5KaomIPLx0aoNs4LbODyc3Q=="
  # Not served on its own: bundled inside @graphiql/plugin-explorer's UMD; fetched for its LICENSE.
  "graphiql-explorer@0.9.0|sha512-fZC/wsuatqiQDO2otchxriFO0LaWIo/ovF/CQJ1yOudmY0P7pzDiP+l9CEHUiWbizk3e99x6DQG4XG1VxA+d6A=="
  # GraphiQL's subscriptions (graphql-transport-ws): its UMD build, window.graphqlWs.
  "graphql-ws@6.4.2|sha512-wxhPhhOGJo8PbGDkBYVE76sZLDrS+GkyrR4bZECSLVbo0pZZNKs0HtBh2Ip/uaUuiVUxwO9ssI9R92buQfNSqQ=="
)

# package@version | path inside the tarball | file name in $DEST | sha384 (= index.html integrity)
FILES=(
  "react@18.2.0|package/umd/react.production.min.js|react.production.min.js|sha384-tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8"
  "react-dom@18.2.0|package/umd/react-dom.production.min.js|react-dom.production.min.js|sha384-bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh"
  "graphiql@3.8.3|package/graphiql.min.js|graphiql.min.js|sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie"
  "graphiql@3.8.3|package/graphiql.min.css|graphiql.min.css|sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM"
  "@graphiql/plugin-explorer@1.0.2|package/dist/index.umd.js|plugin-explorer.umd.js|sha384-2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9"
  "@graphiql/plugin-explorer@1.0.2|package/dist/style.css|plugin-explorer.css|sha384-5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi"
  "graphql-ws@6.4.2|package/umd/graphql-ws.min.js|graphql-ws.min.js|sha384-mxvR4Mzbsb6QVx/9xI2gtQikQA6m8zMDBFnu3l//4/ROsWt7y2sUGWd+/tYQqDm7"
)

# package@version | path inside the tarball | file name under $DEST/LICENSES
LICENSES=(
  "react@18.2.0|package/LICENSE|react.LICENSE"
  "react-dom@18.2.0|package/LICENSE|react-dom.LICENSE"
  "graphiql@3.8.3|package/LICENSE|graphiql.LICENSE"
  # The @graphiql/plugin-explorer tarball has no LICENSE file ("license": "MIT" in package.json);
  # it lives in the same monorepo (github.com/graphql/graphiql) as graphiql, whose LICENSE applies.
  "graphiql@3.8.3|package/LICENSE|graphiql-plugin-explorer.LICENSE"
  "graphiql-explorer@0.9.0|package/LICENSE|graphiql-explorer.LICENSE"
  "graphql-ws@6.4.2|package/LICENSE.md|graphql-ws.LICENSE"
)

die() { echo "vendor-graphiql: $*" >&2; exit 1; }

sha384() {  # prints "sha384-<base64>" of file $1
  node -e 'const c=require("crypto"),f=require("fs");
    process.stdout.write("sha384-"+c.createHash("sha384").update(f.readFileSync(process.argv[1])).digest("base64"))' "$1"
}

check() {
  local status=0 entry spec src name want got
  for entry in "${FILES[@]}"; do
    IFS='|' read -r spec src name want <<<"$entry"
    [[ -f "$DEST/$name" ]] || { echo "MISSING  $name" >&2; status=1; continue; }
    got="$(sha384 "$DEST/$name")"
    if [[ "$got" != "$want" ]]; then echo "MISMATCH $name: $got != $want" >&2; status=1; fi
    # The URL carries the package version: browsers keep the file for a year (immutable).
    if ! grep -q "/graphql/static/$name?v=${spec##*@}\"" "$DEST/index.html" \
      || ! grep -q "integrity=\"$want\"" "$DEST/index.html"; then
      echo "INDEX    index.html does not load $name?v=${spec##*@} with integrity $want" >&2
      status=1
    fi
  done
  for entry in "${LICENSES[@]}"; do
    IFS='|' read -r spec src name <<<"$entry"
    [[ -s "$DEST/LICENSES/$name" ]] || { echo "MISSING  LICENSES/$name" >&2; status=1; }
  done
  if grep -Eq 'https?://[^"]*(unpkg|jsdelivr|cdnjs|esm\.sh|googleapis)' "$DEST/index.html"; then
    echo "CDN      index.html references a CDN" >&2; status=1
  fi
  [[ $status -eq 0 ]] && echo "vendor-graphiql: all files match their pins"
  return $status
}

if [[ "${1:-}" == "--check" ]]; then check; exit; fi
[[ $# -eq 0 ]] || die "usage: $0 [--check]"
command -v npm >/dev/null || die "npm not found"
command -v node >/dev/null || die "node not found"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/vendor-graphiql.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# 1. npm pack each package into $WORK (outside the repo), check the tarball against its pin, unpack.
declare -A UNPACKED
for entry in "${PACKAGES[@]}"; do
  IFS='|' read -r spec want <<<"$entry"
  json="$(cd "$WORK" && npm pack "$spec" --json --pack-destination "$WORK" 2>/dev/null)" \
    || die "npm pack $spec failed"
  read -r tgz integrity < <(node -e 'const [p]=JSON.parse(process.argv[1]);
    console.log(p.filename.replace(/^@/,"").replace(/\//g,"-")+" "+p.integrity)' "$json")
  [[ "$integrity" == "$want" ]] || die "$spec: tarball integrity $integrity != pinned $want"
  dir="$WORK/unpacked/${spec//\//_}"
  mkdir -p "$dir"
  tar -xzf "$WORK/$tgz" -C "$dir"
  UNPACKED[$spec]="$dir"
done

# 2. Stage every output file and verify it before anything in $DEST changes.
STAGE="$WORK/stage"
mkdir -p "$STAGE/LICENSES"
for entry in "${FILES[@]}"; do
  IFS='|' read -r spec src name want <<<"$entry"
  cp "${UNPACKED[$spec]}/$src" "$STAGE/$name"
  got="$(sha384 "$STAGE/$name")"
  [[ "$got" == "$want" ]] || die "$spec $src: $got != pinned $want"
done
for entry in "${LICENSES[@]}"; do
  IFS='|' read -r spec src name <<<"$entry"
  [[ -s "${UNPACKED[$spec]}/$src" ]] || die "$spec has no $src"
  cp "${UNPACKED[$spec]}/$src" "$STAGE/LICENSES/$name"
done

{
  echo "# Vendored GraphiQL assets -- generated by scripts/vendor-graphiql.sh, do not edit by hand."
  echo "# Served at /graphql/static/ by the gateway; index.html is the hand-maintained page."
  echo "# Fonts: graphiql.min.css embeds its fonts as data: URIs, so the page requests no font URL."
  echo "#"
  echo "# file | package@version | path in npm tarball | sha384 integrity | bytes"
  for entry in "${FILES[@]}"; do
    IFS='|' read -r spec src name want <<<"$entry"
    echo "$name | $spec | $src | $want | $(wc -c <"$STAGE/$name" | tr -d ' ')"
  done
  echo "#"
  echo "# licence file | package@version | path in npm tarball"
  for entry in "${LICENSES[@]}"; do
    IFS='|' read -r spec src name <<<"$entry"
    echo "LICENSES/$name | $spec | $src"
  done
  echo "#"
  echo "# npm tarballs | sha512 integrity (checked against the registry by npm and by this script)"
  for entry in "${PACKAGES[@]}"; do
    IFS='|' read -r spec want <<<"$entry"
    echo "$spec | $want"
  done
} >"$STAGE/VERSIONS"

# 3. Install: replace the vendored files and LICENSES/, leave index.html alone.
mkdir -p "$DEST"
rm -rf "$DEST/LICENSES"
cp -R "$STAGE/." "$DEST/"
check
