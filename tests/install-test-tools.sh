#!/usr/bin/env bash
# Tools the tests use as independent checks: pdftoppm (poppler-utils) renders a label PDF to an image, and
# zbarimg (zbar-tools) decodes its barcode the way a scanner would. Idempotent: does nothing when both are there.
set -euo pipefail

if command -v pdftoppm >/dev/null 2>&1 && command -v zbarimg >/dev/null 2>&1; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-tools: apt-get not found; install poppler-utils and zbar-tools by hand." >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends poppler-utils zbar-tools >/dev/null
command -v pdftoppm >/dev/null && command -v zbarimg >/dev/null
