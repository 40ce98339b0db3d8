#!/usr/bin/env bash
# Install the Debian/Ubuntu packages Qt (and, with --test, the virtual X server) needs.
# As root: installs what is missing. Otherwise: prints the exact apt-get line and fails.
set -euo pipefail

pkgs=(libegl1 libgl1 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0
      libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-image0 libfontconfig1 libdbus-1-3
      fonts-dejavu-core)
if [ "${1:-}" = "--test" ]; then
    pkgs+=(xvfb xauth)
fi
# A Python without venv/ensurepip (stock Debian) needs python3-venv to make the virtualenv.
if ! "${PYTHON:-python3}" -c "import ensurepip, venv" >/dev/null 2>&1; then
    pkgs+=(python3-venv)
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "system-deps: not a Debian/Ubuntu system; make sure Qt's X11/EGL libraries (and Xvfb for tests) are installed." >&2
    exit 0
fi

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    echo "system-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "system-deps: missing packages; run:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
