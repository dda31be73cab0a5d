#!/usr/bin/env bash
# Runs every test (unit and integration) from a fresh clone:
#   installs the dev tools from package-lock.json (Azurite, maildev) and the Debian tools the label tests use,
#   restores and builds the solution, runs NUnit, and ends with the line "N passed, N failed".
# The tests start their own Azurite and SMTP sink on free loopback ports and stop only those.
set -uo pipefail
cd "$(dirname "$0")"

if [ ! -x node_modules/.bin/azurite ] || [ ! -x node_modules/.bin/maildev ]; then
  npm ci --no-audit --no-fund || { echo "npm ci failed"; echo "0 passed, 1 failed"; exit 1; }
fi
if [ -f tests/install-test-tools.sh ]; then
  bash tests/install-test-tools.sh || { echo "installing test tools failed"; echo "0 passed, 1 failed"; exit 1; }
fi

results="TestResults"
rm -rf "$results"
if ! dotnet build Automation.sln -c Release -nologo -v quiet; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

dotnet test tests/Automation.Tests/Automation.Tests.csproj -c Release --no-build -nologo \
  --logger "trx;LogFileName=results.trx" --logger "console;verbosity=minimal" \
  --results-directory "$results" "$@"
status=$?

passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
exit "$status"
