#!/usr/bin/env bash
# Build GOV.UK Frontend with the council's brand into static/vendor/govuk-frontend/.
#
# Only needed when changing the brand colour or upgrading govuk-frontend/sass:
# the output is committed, so running the portal never needs Node.
#
#   PORTAL_BRAND_COLOUR='#005a70' frontend/build.sh
#
set -euo pipefail

FRONTEND_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT_DIR="$(dirname "$FRONTEND_DIR")"
OUT_DIR="$ROOT_DIR/static/vendor/govuk-frontend"
BRAND="${PORTAL_BRAND_COLOUR:-#005a70}"

if ! [[ "$BRAND" =~ ^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$ ]]; then
  echo "PORTAL_BRAND_COLOUR must be a hex colour like #005a70 (got '$BRAND')" >&2
  exit 1
fi

cd "$FRONTEND_DIR"

# Exact versions from package-lock.json. No install scripts are needed
# (sass is pure JavaScript; its optional file watcher is not used).
npm ci --ignore-scripts --no-audit --no-fund

GOVUK_DIST="$FRONTEND_DIR/node_modules/govuk-frontend/dist/govuk"
GOVUK_VERSION="$(node -p "require('./node_modules/govuk-frontend/package.json').version")"

rm -rf "$OUT_DIR"
mkdir -p "$OUT_DIR/assets/images"

# 1. CSS: src/portal.scss, configured with the brand colour.
printf '@use "portal" with ($portal-brand-colour: %s);\n' "$BRAND" \
  | npx --no-install sass --stdin \
      --load-path=src \
      --pkg-importer=node \
      --style=compressed \
      --no-source-map \
      > "$OUT_DIR/govuk-frontend.min.css"

# 2. JS: the ES module build (exports initAll), without the source map link.
sed -e 's#//\# sourceMappingURL=.*$##' "$GOVUK_DIST/govuk-frontend.min.js" \
  > "$OUT_DIR/govuk-frontend.min.js"

# 3. Assets. GOV.UK Frontend's own images (favicon, icons, crest, Open Graph
#    image) all show the Royal crown and its fonts are GDS Transport, which
#    only GOV.UK may use, so neither is copied. Instead write a plain
#    favicon in the brand colour and a web manifest pointing at it.
cat > "$OUT_DIR/assets/images/favicon.svg" <<SVG
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="4" fill="$BRAND"/><path d="M9 16.5l4.5 4.5L23 11.5" fill="none" stroke="#fff" stroke-width="3.5" stroke-linecap="round" stroke-linejoin="round"/></svg>
SVG
cat > "$OUT_DIR/assets/manifest.json" <<JSON
{
  "icons": [
    {
      "src": "images/favicon.svg",
      "type": "image/svg+xml",
      "sizes": "any",
      "purpose": "any"
    }
  ],
  "theme_color": "$BRAND"
}
JSON

# 4. VERSION
echo "$GOVUK_VERSION" > "$OUT_DIR/VERSION"

# Checks: nothing of GDS Transport may reach the output.
if grep -qi "GDS Transport\|@font-face" "$OUT_DIR/govuk-frontend.min.css"; then
  echo "ERROR: compiled CSS still references GDS Transport / @font-face" >&2
  exit 1
fi
if ! grep -qiE -- "--govuk-brand-colour: ?$BRAND" "$OUT_DIR/govuk-frontend.min.css"; then
  echo "ERROR: brand colour $BRAND not found in compiled CSS" >&2
  exit 1
fi

echo "Built govuk-frontend $GOVUK_VERSION with brand colour $BRAND into ${OUT_DIR#"$ROOT_DIR"/}:"
ls -l "$OUT_DIR" "$OUT_DIR/assets" "$OUT_DIR/assets/images"
