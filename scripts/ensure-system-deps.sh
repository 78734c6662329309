#!/usr/bin/env bash
# Installs what the tests need from Debian when it is missing and we are root: Chromium for the
# browser tests and PostgreSQL for the second run of the suite. Never `playwright install`.
set -u
need=()
command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "ensure-system-deps: missing ${need[*]}; install them (apt-get install ${need[*]})" >&2
  [ "${CI:-}" = true ] && exit 1
  exit 0
fi
echo "ensure-system-deps: installing ${need[*]} from Debian"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
status=$?
if [ $status -ne 0 ]; then
  echo "ensure-system-deps: apt-get failed for ${need[*]}" >&2
  [ "${CI:-}" = true ] && exit 1
fi
exit 0
