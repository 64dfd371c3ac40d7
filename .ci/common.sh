# Shared helpers for the scripts in .ci/ (sourced, not run).
set -euo pipefail
CIMPUTE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${JOBS:-$(nproc)}"
# ccache across clones in other folders (CI builds a fresh clone) and with the tests' precompiled
# header: paths below the checkout hash as relative ones, and the PCH's defines are trusted.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$CIMPUTE_ROOT}"
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"

# Install the Debian packages that are missing (non-interactive; nothing to do when all present).
cimpute_install_packages() {
  local missing=()
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  echo "== installing Debian packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

CIMPUTE_BUILD_PACKAGES=(cmake make g++ pkg-config libeigen3-dev catch2 libhdf5-dev zlib1g-dev
  libboost-math-dev libbenchmark-dev ccache libopenblas-dev liblapacke-dev libcli11-dev
  libopenmpi-dev openmpi-bin)
# The Python package and what the test suite reads its outputs back with (h5py as cmapPy, anndata
# as scanpy); matplotlib, networkx and tqdm are optional at run time but tested.
CIMPUTE_TEST_PACKAGES=(python3-dev pybind11-dev python3-pytest python3-numpy python3-pandas
  python3-scipy python3-h5py python3-anndata python3-matplotlib python3-networkx python3-tqdm
  python3-setuptools python3-wheel python3-pip python3-venv)
# What the fuzz stage needs: clang with its libFuzzer runtime.
CIMPUTE_FUZZ_PACKAGES=(clang libclang-rt-14-dev)

# Configure one tree without building it: cimpute_configure DIR [cmake args...]
cimpute_configure() {
  local dir="$1"
  shift
  local launcher=()
  if command -v ccache >/dev/null 2>&1; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
  cmake -S "$CIMPUTE_ROOT" -B "$dir" "${launcher[@]}" "$@"
}

# Build some targets of a configured tree (all of them when none is named):
# cimpute_build_targets DIR [TARGET...]
cimpute_build_targets() {
  local dir="$1"
  shift
  local targets=()
  for t in "$@"; do targets+=(--target "$t"); done
  cmake --build "$dir" --parallel "$JOBS" "${targets[@]}"
}

# Configure and build one whole tree: cimpute_build DIR [cmake args...]
cimpute_build() {
  cimpute_configure "$@"
  cimpute_build_targets "$1"
}
