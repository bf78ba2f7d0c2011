#!/usr/bin/env bash
# The test command (`npm test`). Brings what the suites need on a fresh machine — node modules,
# mosquitto, chromium, openssl, tmux (the technician UI in a real terminal) and systemd-analyze (unit
# checks) — or stops naming what is missing; never skips the broker or browser suites. Ends with
# the line `N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/.."

# pcscd, its headers (the reader binding builds against them during npm ci, hence before it) and
# vsmartcard's virtual reader, behind which the chip CCCD tests put their simulated card.
declare -A packages=([mosquitto]=mosquitto [chromium]=chromium [openssl]=openssl [tmux]=tmux [systemd-analyze]=systemd
  [pcscd]=pcscd [/usr/include/PCSC/winscard.h]=libpcsclite-dev [/usr/lib/pcsc/drivers/serial/libifdvpcd.so]=vsmartcard-vpcd
  [scanimage]=sane-utils)
missing=()
for tool in mosquitto chromium openssl tmux systemd-analyze pcscd /usr/include/PCSC/winscard.h /usr/lib/pcsc/drivers/serial/libifdvpcd.so scanimage; do
  if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ] && [ ! -x "/usr/bin/$tool" ] && [[ "$tool" != /* || ! -e "$tool" ]]; then
    missing+=("${packages[$tool]}")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "missing: ${missing[*]} (install them with apt-get as root: apt-get install ${missing[*]})"; exit 1
    fi
  fi
  echo "installing ${missing[*]} from the distribution's packages"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || { echo "missing: ${missing[*]} (apt-get install failed)"; exit 1; }
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing node modules (npm ci)"
  npm ci --no-audit --no-fund || { echo "npm ci failed"; exit 1; }
fi

npm run build --silent || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

mkdir -p test-output
log=test-output/tap.log
# TAP output is kept for the totals line; tap itself prints per-file results as it goes.
npx tap --reporter=tap "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

summary=$(grep -E '^# \{ total: ' "$log" | tail -1)
pass=$(sed -nE 's/.*pass: ([0-9]+).*/\1/p' <<<"$summary")
fail=$(sed -nE 's/.*fail: ([0-9]+).*/\1/p' <<<"$summary")
skip=$(sed -nE 's/.*skip: ([0-9]+).*/\1/p' <<<"$summary")
pass=${pass:-0}
fail=${fail:-0}
if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
if [ -n "$skip" ]; then
  echo "${pass} passed, ${fail} failed, ${skip} skipped"
else
  echo "${pass} passed, ${fail} failed"
fi
exit "$status"
