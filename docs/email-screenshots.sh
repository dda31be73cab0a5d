#!/usr/bin/env bash
# Makes docs/emails/*.png: three emails as customers get them (the abandoned-cart reminder, back in stock, return
# approved), rendered by the app's own preview endpoint for a branded demo store and photographed in headless Chromium
# in the light and the dark colour scheme. Not part of the tests; run it after changing a template or the layout:
#
#   bash docs/email-screenshots.sh        (needs: dotnet, npm ci done, chromium — Debian: apt-get install -y chromium)
#
# The store's logo URL points at a CDN; this machine may be offline, so the fetched HTML has it swapped for the local
# docs/emails/sample-logo.svg before the screenshot. Nothing else in the HTML is changed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out="$root/docs/emails"
command -v chromium >/dev/null || { echo "email-screenshots: chromium is required (apt-get install -y chromium)" >&2; exit 1; }
[ -x node_modules/.bin/azurite ] || npm ci --no-audit --no-fund
dotnet build local-host/Automation.LocalHost.csproj -c Release -nologo -v quiet >/dev/null

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_for() { for _ in $(seq 1 150); do curl -s -o /dev/null "$1" && return 0; sleep 0.2; done; echo "email-screenshots: $2 did not start (see $work/*.log)" >&2; exit 1; }

blob=$(free_port); queue=$(free_port); table=$(free_port); app=$(free_port)
node_modules/.bin/azurite --silent --skipApiVersionCheck --disableProductStyleUrl --inMemoryPersistence \
  --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 --blobPort "$blob" --queuePort "$queue" --tablePort "$table" \
  > "$work/azurite.log" 2>&1 & pids+=($!)
wait_for "http://127.0.0.1:$queue/" Azurite

key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
admin_key=screenshots
env \
  AzureWebJobsStorage="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$blob/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$queue/devstoreaccount1;TableEndpoint=http://127.0.0.1:$table/devstoreaccount1;" \
  ASPNETCORE_URLS="http://127.0.0.1:$app" \
  Admin__ApiKey=$admin_key \
  Email__FromAddress=hello@bluemug.example \
  Stores__bluemug__Platform=Shopify \
  Stores__bluemug__ShopDomain=blue-mug-co.myshopify.com \
  Stores__bluemug__WebhookSecret=screenshots \
  Stores__bluemug__Currency=EUR \
  Stores__bluemug__TimeZone=Europe/Amsterdam \
  Stores__bluemug__Branding__StoreName="Blue Mug Co." \
  Stores__bluemug__Branding__LogoUrl=https://cdn.bluemug.example/logo.png \
  Stores__bluemug__Branding__AccentColor="#0E7C66" \
  Stores__bluemug__Branding__SupportEmail=help@bluemug.example \
  Stores__bluemug__Branding__WebsiteUrl=https://bluemug.example \
  Stores__bluemug__Branding__Footer="Blue Mug Co. · Havenweg 4 · 1000 AB Amsterdam" \
  Stores__bluemug__Branding__Locale=en-IE \
  Logging__LogLevel__Default=Warning \
  dotnet local-host/bin/Release/net10.0/Automation.LocalHost.dll > "$work/app.log" 2>&1 & pids+=($!)
wait_for "http://127.0.0.1:$app/api/health" "the app"

shoot() { # template height
  local template=$1 height=$2 html="$work/$1.html"
  curl -sf -H "x-functions-key: $admin_key" "http://127.0.0.1:$app/api/admin/stores/bluemug/emails/$template/preview?format=html" \
    | sed "s#https://cdn.bluemug.example/logo.png#file://$out/sample-logo.svg#" > "$html"
  for scheme in light dark; do
    local flags=()
    # preferredColorScheme is Blink's setting: 0 = dark, 1 = light (what prefers-color-scheme answers).
    if [ "$scheme" = dark ]; then flags=(--blink-settings=preferredColorScheme=0); else flags=(--blink-settings=preferredColorScheme=1); fi
    chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync \
      --no-first-run --hide-scrollbars --user-data-dir="$(mktemp -d -p "$work")" "${flags[@]}" \
      --screenshot="$out/$template-$scheme.png" --window-size="640,$height" "file://$html" >/dev/null 2>&1
    echo "docs/emails/$template-$scheme.png"
  done
}

shoot abandoned-cart-reminder 680
shoot back-in-stock 500
shoot return-approved 900
