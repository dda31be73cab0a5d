#!/usr/bin/env bash
# Starts the whole thing locally and shows the automations working:
#   Azurite and maildev on 127.0.0.1 (data under .local/, git-ignored), a stand-in for the Shopify and WooCommerce
#   Admin APIs (the demo stores' "platform"), and the app's functions on http://127.0.0.1:7071 (served by the local
#   host, with orchestrations on the Durable Task engine over Azurite) with two demo stores;
#   then sends signed demo webhooks and prints what became of them. Ctrl+C stops everything this script started.
# Installs what is missing from the project's own files (npm ci, dotnet restore/build) on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
APP_PORT=${APP_PORT:-7071}

for tool in dotnet node npm; do
  command -v "$tool" >/dev/null || { echo "run.sh: '$tool' is required but not installed." >&2; exit 1; }
done
if [ ! -x node_modules/.bin/azurite ] || [ ! -x node_modules/.bin/maildev ]; then
  echo "Installing dev tools (npm ci)…"; npm ci --no-audit --no-fund
fi
echo "Building…"
dotnet build Automation.sln -c Release -nologo -v quiet

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() { local p=$1; while ! port_free "$p"; do p=$((p + 1)); done; echo "$p"; }
port_free "$APP_PORT" || { echo "run.sh: port $APP_PORT is in use; set APP_PORT to another port." >&2; exit 1; }

pids=()
names=()
cleanup() {
  # Further signals are ignored while stopping: `timeout` and a second Ctrl+C send another one, which would
  # otherwise end this script half-way and leave the rest running.
  trap - EXIT
  trap '' INT TERM
  echo; echo "Stopping…"
  # Newest first: the app stops (and releases its leases) while storage is still up.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid=${pids[i]}
    kill "$pid" 2>/dev/null || continue
    started=$(date +%s%N)
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    echo "  stopped ${names[i]} in $(( ($(date +%s%N) - started) / 1000000 )) ms"
  done
}
trap cleanup EXIT INT TERM

wait_for() { # url name
  for _ in $(seq 1 150); do curl -s -o /dev/null "$1" && return 0; sleep 0.2; done
  echo "run.sh: $2 did not start (see .local/*.log)" >&2; exit 1
}

# Each run starts from empty storage and an empty mailbox, so the demo shows the same thing every time
# (KEEP_DATA=1 keeps what earlier runs stored).
if [ "${KEEP_DATA:-0}" != 1 ]; then rm -rf .local/azurite .local/maildev; fi
mkdir -p .local/azurite .local/maildev
blob=$(pick_port 10000); queue=$(pick_port $((blob + 1))); table=$(pick_port $((queue + 1)))
node_modules/.bin/azurite --silent --skipApiVersionCheck --disableProductStyleUrl --location .local/azurite \
  --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 --blobPort "$blob" --queuePort "$queue" --tablePort "$table" \
  > .local/azurite.log 2>&1 & pids+=($!); names+=(Azurite)
smtp=$(pick_port 1025); web=$(pick_port 1080)
node_modules/.bin/maildev --ip 127.0.0.1 --smtp "$smtp" --web "$web" --mail-directory .local/maildev > .local/maildev.log 2>&1 & pids+=($!); names+=(maildev)
platform=$(pick_port 7171)
bench=bench/Automation.Bench/bin/Release/net10.0/Automation.Bench.dll
dotnet "$bench" demo-platform "$platform" > .local/platform.log 2>&1 & pids+=($!); names+=("the platform stand-in")
wait_for "http://127.0.0.1:$queue/" Azurite
wait_for "http://127.0.0.1:$web/api/healthz" maildev
wait_for "http://127.0.0.1:$platform/" "the platform stand-in"

key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
export AzureWebJobsStorage="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$blob/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$queue/devstoreaccount1;TableEndpoint=http://127.0.0.1:$table/devstoreaccount1;"
export ASPNETCORE_URLS="http://127.0.0.1:$APP_PORT"
export Email__SmtpHost=127.0.0.1 Email__SmtpPort="$smtp" Email__Security=None Email__FromAddress=hello@demo-store.test Email__FromName="Demo Store"
export Admin__ApiKey=${Admin__ApiKey:-local-admin-key}
export AzureFunctionsJobHost__extensions__queues__maxPollingInterval=00:00:01
# The demo's waits are seconds long: poll Durable's queues at most every second (host.json ships a longer interval).
export AzureFunctionsJobHost__extensions__durableTask__storageProvider__maxQueuePollingInterval=00:00:01
# The demo stores (demo-stores.env). Their names have hyphens, which a shell variable cannot, so they go through env.
demo_settings=()
while IFS= read -r line; do
  case "$line" in ''|'#'*) ;; *) demo_settings+=("$line") ;; esac
done < demo-stores.env
demo_settings+=("Stores__demo-shopify__AdminApiBaseUrl=http://127.0.0.1:$platform/admin/api/2025-10")
demo_settings+=("Stores__demo-woo__AdminApiBaseUrl=http://127.0.0.1:$platform/wp-json/wc/v3")
demo_settings+=("Stores__demo-shopify__Restock__PublicBaseUrl=http://127.0.0.1:$APP_PORT")
demo_settings+=("AbandonedCart__PublicBaseUrl=http://127.0.0.1:$APP_PORT")
demo_settings+=("Logging__LogLevel__Microsoft.AspNetCore=Warning")

# The app's functions, served by the local host (the Functions host cannot be installed here; see README "Three ways to run").
env "${demo_settings[@]}" dotnet local-host/bin/Release/net10.0/Automation.LocalHost.dll > .local/app.log 2>&1 & pids+=($!); names+=("the app")
wait_for "http://127.0.0.1:$APP_PORT/api/health" "the app"

cat <<INFO

  App            http://127.0.0.1:$APP_PORT   (webhooks: POST /api/webhooks/shopify, /api/webhooks/woocommerce)
  Mail (maildev) http://127.0.0.1:$web
  Storage        Azurite on 127.0.0.1:$blob/$queue/$table (data in .local/azurite)
  Operator key   x-functions-key: $Admin__ApiKey
  Logs           .local/app.log, .local/platform.log

Sending signed demo deliveries…
INFO
dotnet "$bench" demo-send "http://127.0.0.1:$APP_PORT" "http://127.0.0.1:$web" "$Admin__ApiKey" || echo "(the demo sender reported a problem; see above)"
echo; echo "Running. Press Ctrl+C to stop."
wait
