#!/usr/bin/env bash
# Refresh the vendored NHS.UK frontend build (users need no Node; this is for maintainers)
# and the axe-core build the accessibility tests inject. Pass versions to pin others.
set -euo pipefail
NHSUK_VERSION="${1:-10}"
AXE_VERSION="${2:-4}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack --silent "nhsuk-frontend@${NHSUK_VERSION}" "axe-core@${AXE_VERSION}" >/dev/null
mkdir nhsuk axe
tar xzf nhsuk-frontend-*.tgz -C nhsuk
tar xzf axe-core-*.tgz -C axe
DIST="nhsuk/package/dist/nhsuk"
DEST="$ROOT/static/vendor/nhsuk-frontend"
rm -rf "$DEST" && mkdir -p "$DEST"
# The CSS points at /assets/…; make it relative so it works under STATIC_URL and hashing.
sed -e 's#url(/assets/#url(assets/#g' -e 's#/\*\# sourceMappingURL=[^*]*\*/##' \
  "$DIST/nhsuk-frontend.min.css" > "$DEST/nhsuk-frontend.min.css"
sed -e 's#//\# sourceMappingURL=.*$##' "$DIST/nhsuk-frontend.min.js" > "$DEST/nhsuk-frontend.min.js"
cp -r "$DIST/assets" "$DEST/assets"
node -e "console.log(require('./nhsuk/package/package.json').version)" > "$DEST/VERSION"
mkdir -p "$ROOT/tests/vendor"
cp axe/package/axe.min.js "$ROOT/tests/vendor/axe.min.js"
node -e "console.log(require('./axe/package/package.json').version)" > "$ROOT/tests/vendor/AXE_VERSION"
echo "nhsuk-frontend $(cat "$DEST/VERSION"), axe-core $(cat "$ROOT/tests/vendor/AXE_VERSION")"
