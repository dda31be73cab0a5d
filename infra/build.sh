#!/usr/bin/env bash
# Compiles and lints infra/ offline with the Bicep CLI from our package source (NuGet, infra/tools/bicep.csproj),
# treating every warning as an error. Writes the ARM template to infra/bin/main.json (the infra tests read it).
# Exit code 0 only when main.bicep and the example parameters file compile and lint without a diagnostic.
set -uo pipefail
cd "$(dirname "$0")"

dotnet restore tools/bicep.csproj -nologo -v quiet || { echo "infra: restoring the Bicep CLI failed"; exit 1; }
bicep=$(dotnet msbuild tools/bicep.csproj -getProperty:BicepPath -nologo) || { echo "infra: locating the Bicep CLI failed"; exit 1; }
[ -f "$bicep" ] || { echo "infra: no Bicep CLI at $bicep"; exit 1; }
[ -x "$bicep" ] || chmod u+x "$bicep"
"$bicep" --version

# The example parameters file reads its secrets from environment variables; these stand-ins only let it compile.
fake=$(printf 'not-a-secret-%.0s' 1 2 3)
export AUTOMATION_ADMIN_API_KEY="$fake" AUTOMATION_UNSUBSCRIBE_SECRET="$fake" \
  EXAMPLE_SHOPIFY_WEBHOOK_SECRET="$fake" EXAMPLE_SHOPIFY_ACCESS_TOKEN="$fake" \
  EXAMPLE_WOO_WEBHOOK_SECRET="$fake" EXAMPLE_WOO_CONSUMER_KEY="$fake" EXAMPLE_WOO_CONSUMER_SECRET="$fake"

mkdir -p bin
status=0
run() {
  local output
  output=$("$bicep" "$@" 2>&1); local code=$?
  [ -n "$output" ] && printf '%s\n' "$output"
  # Warnings as errors: any diagnostic fails the step, whatever the exit code.
  if [ "$code" -ne 0 ] || grep -qE ': (Warning|Error) ' <<<"$output"; then
    echo "infra: bicep $1 $2 failed"
    status=1
  fi
}
run build main.bicep --outfile bin/main.json
run lint main.bicep
run build-params main.example.bicepparam --outfile bin/main.example.parameters.json
run lint main.example.bicepparam
# The compiled parameters hold the stand-in values above; nothing needs them.
rm -f bin/main.example.parameters.json

[ "$status" -eq 0 ] && echo "infra: main.bicep and main.example.bicepparam compile and lint clean"
exit "$status"
