#!/usr/bin/env bash
# Installs the Debian packages the test suite uses (browser tests, PostgreSQL store tests,
# Spark local mode, the speech demo's espeak-ng and sox, Fashion-MNIST), when they are missing and we may install them. Safe to run repeatedly.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v sox >/dev/null 2>&1 || need+=(sox)
[ -d /usr/share/datasets/fashion-mnist ] || need+=(dataset-fashion-mnist)
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
# A metric-compatible sans font so report screenshots render the same everywhere.
[ -d /usr/share/fonts/truetype/liberation ] || need+=(fonts-liberation)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "note: missing system packages (${need[*]}); tests that need them will be skipped" >&2
  exit 0
fi
echo "installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
# A failed install must not fail the build: the tests that need a package skip with the reason.
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }; then
  echo "note: could not install ${need[*]}; tests that need them will be skipped" >&2
fi
