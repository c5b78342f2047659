#!/usr/bin/env bash
# One entry for a fresh Debian 12 machine (Python 3.11, Java 17, Maven):
#   bash infra/dev.sh demo   set up, then run the main job (hireview demo)
#   bash infra/dev.sh test   set up, then run the whole test suite (unit + integration)
#   bash infra/dev.sh setup  only set up
# Setup is idempotent: system packages via apt when missing, a venv in .venv, the project
# installed editable with its dev extras. Kafka jars come from Maven Central on first `infra up`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

need_apt=()
command -v clickhouse-server >/dev/null || need_apt+=(clickhouse-server clickhouse-client)
command -v java >/dev/null || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need_apt+=(maven)
# Browser tests drive Debian's chromium through Playwright (Playwright's own download is not
# used); DejaVu has the Vietnamese diacritics the pages and PDFs show.
command -v chromium >/dev/null || need_apt+=(chromium)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt+=(fonts-dejavu-core)
# pdftoppm renders report and notice PDFs to PNG in the tests; WeasyPrint needs Pango.
command -v pdftoppm >/dev/null || need_apt+=(poppler-utils)
[ -e /usr/lib/x86_64-linux-gnu/libpango-1.0.so.0 ] || need_apt+=(libpango-1.0-0 libpangoft2-1.0-0)
# Prometheus (and promtool) from Debian; `hireview infra up` runs it with the project's config,
# never the system service, which is stopped so it does not hold port 9090 for nothing.
if ! command -v promtool >/dev/null; then
  need_apt+=(prometheus)
  stop_system_prometheus=1
fi
"$PY" -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "==> apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  if [ -n "${stop_system_prometheus:-}" ] && command -v systemctl >/dev/null; then
    systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "==> installing Python dependencies"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e ".[dev]"
  touch "$stamp"
fi

case "${1:-setup}" in
  setup) ;;
  demo)  shift; exec .venv/bin/hireview demo "$@" ;;
  test)  shift
         echo "==> ruff and mypy (strict)"
         .venv/bin/ruff check streams rules tests
         .venv/bin/mypy
         echo "==> promtool: alert rules and their unit tests"
         promtool check rules dashboards/*.rules.yml
         promtool test rules dashboards/tests/*.yml
         .venv/bin/hireview infra up
         exec .venv/bin/pytest -p no:cacheprovider "$@" ;;
  *) echo "usage: bash infra/dev.sh [setup|demo|test]" >&2; exit 2 ;;
esac
