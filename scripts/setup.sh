#!/usr/bin/env bash
# Bring a machine to the state `make run` / `make test` need, idempotently.
#
#   scripts/setup.sh          system packages for the API (PostGIS) + .venv with the project installed
#   scripts/setup.sh --test   the same, plus Chromium for the browser tests and screenshots
#
# Quiet when there is nothing to do; the pip step is skipped while pyproject.toml is unchanged
# (stamp: .venv/.ajib-setup-stamp holds its hash). Set AJIB_SKIP_APT=1 to never touch apt.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
VENV="$ROOT/.venv"
STAMP="$VENV/.ajib-setup-stamp"
WITH_BROWSER=0
for arg in "$@"; do
  case "$arg" in
    --test) WITH_BROWSER=1 ;;
    -h | --help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option: $arg" >&2; exit 2 ;;
  esac
done

say() { echo "setup: $*" >&2; }
die() { echo "setup: error: $*" >&2; exit 1; }

# One setup at a time per checkout (two `make test` started together must not race pip).
if command -v flock >/dev/null 2>&1; then
  exec 9>"${TMPDIR:-/tmp}/ajib-setup-$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1).lock"
  flock 9
fi

# ---------------------------------------------------------------- system packages (Debian)
pkg_installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = installed ]
}

as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@" || die "needs root for: $* (run 'sudo -v' first, or install it yourself)"
  else
    die "needs root for: $* (no sudo here)"
  fi
}

apt_install() {
  say "installing Debian packages: $*"
  local apt=(apt-get -q -y -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
  local log
  log=$(mktemp "${TMPDIR:-/tmp}/ajib-apt.XXXXXX")
  if ! as_root env DEBIAN_FRONTEND=noninteractive "${apt[@]}" update >"$log" 2>&1 \
    || ! as_root env DEBIAN_FRONTEND=noninteractive "${apt[@]}" install --no-install-recommends "$@" >>"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "apt-get install $* failed (full log: $log)"
  fi
  rm -f "$log"
}

# Major versions of the PostgreSQL servers installed here (one per /usr/lib/postgresql/N/bin/postgres).
pg_majors() {
  local d
  for d in /usr/lib/postgresql/*/bin/postgres; do
    [ -x "$d" ] && basename "$(dirname "$(dirname "$d")")"
  done
  return 0
}

if command -v dpkg-query >/dev/null 2>&1 && [ "${AJIB_SKIP_APT:-0}" != 1 ]; then
  majors=$(pg_majors)
  if [ -z "$majors" ]; then
    # No server binaries at all: the managed cluster needs initdb/pg_ctl, so install Debian's default.
    apt_install postgresql
    majors=$(pg_majors)
    [ -n "$majors" ] || die "postgresql installed but no /usr/lib/postgresql/N/bin/postgres found"
  fi
  missing=()
  for major in $majors; do
    pkg_installed "postgresql-$major-postgis-3" || missing+=("postgresql-$major-postgis-3")
  done
  pkg_installed fonts-dejavu-core || missing+=(fonts-dejavu-core)
  if [ "$WITH_BROWSER" = 1 ]; then
    pkg_installed chromium || missing+=(chromium)
    pkg_installed fonts-liberation || missing+=(fonts-liberation)
  fi
  if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}"
  fi
fi

# ---------------------------------------------------------------- Python virtual environment
# The embedded road engine (pyvalhalla) ships wheels for CPython >= 3.12 only, so a 3.12 or 3.13 is
# preferred where the machine has one (pyenv keeps them off PATH: look in its versions directory);
# any Python >= 3.11 still runs everything else, with straight-line travel times (docs/roads.md).
py_minor() { "$1" -c 'import sys; print(sys.version_info[1] if sys.version_info[0] == 3 else 0)' 2>/dev/null || echo 0; }

find_python() {
  local c pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
  local candidates=("${AJIB_PYTHON:-}")
  if [ -z "${AJIB_PYTHON:-}" ]; then
    candidates+=(python3.12 python3.13)
    for c in "$pyenv_root"/versions/3.12.*/bin/python3 "$pyenv_root"/versions/3.13.*/bin/python3; do
      [ -x "$c" ] && candidates+=("$c")
    done
    candidates+=(python3 python3.11)
  fi
  for c in "${candidates[@]}"; do
    [ -n "$c" ] || continue
    command -v "$c" >/dev/null 2>&1 || continue
    if "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      command -v "$c"
      return 0
    fi
  done
  return 1
}

make_venv() {
  rm -rf "$VENV"
  "$1" -m venv "$VENV" >/dev/null 2>&1
}

if "$VENV/bin/python" -c '' 2>/dev/null && [ -z "${AJIB_PYTHON:-}" ] && [ "$(py_minor "$VENV/bin/python")" -lt 12 ]; then
  if py=$(find_python) && [ "$(py_minor "$py")" -ge 12 ]; then
    say "recreating .venv with $py ($("$py" -V 2>&1)): the road engine needs Python >= 3.12"
    rm -rf "$VENV"
  fi
fi

if ! "$VENV/bin/python" -c '' 2>/dev/null; then
  py=$(find_python) || die "no Python >= 3.11 found (set AJIB_PYTHON to one)"
  say "creating .venv with $py ($("$py" -V 2>&1))"
  if ! make_venv "$py"; then
    # Debian's own python3 ships venv/ensurepip separately.
    case "$py" in
      /usr/bin/*) apt_install python3-venv && make_venv "$py" || die "python -m venv failed with $py" ;;
      *) die "python -m venv failed with $py" ;;
    esac
  fi
fi

want=$( (cat pyproject.toml; "$VENV/bin/python" -V) | sha256sum | cut -d' ' -f1)
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$want" ]; then
  say "installing the project and its dev dependencies into .venv (pip install -e '.[dev]')"
  export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
  log="$VENV/pip-install.log"
  if ! "$VENV/bin/python" -m pip install -e '.[dev]' >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "pip install failed (full log: $log)"
  fi
  echo "$want" >"$STAMP"
fi

# The solver's compiled kernels (routing/kernels.py): compiling them takes ~10 s, loading them from
# numba's cache ~0.3 s. Do it here, once, so that no solve's time limit pays for it.
"$VENV/bin/python" -c '
from routing.kernels import warm_up
took = warm_up()
if took > 2:
    print(f"setup: compiled the routing kernels in {took:.0f} s (cached from now on)")
' >&2 || die "compiling routing/kernels.py failed"
