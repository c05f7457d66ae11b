#!/usr/bin/env bash
# Prepare, on a machine with PyPI, what benchmarks/gpu_check.sh installs on a lent GPU machine (which reaches
# nothing): wheels of noether and noether-cfd built from this checkout, and of the dependencies that machine's
# image lacks or may hold too old (cattrs, ruamel.yaml with its C parser, meshio, attrs, pluggy,
# typing-extensions), for its Python (CPython 3.12, manylinux x86-64). They land in .whl/, which git ignores
# (.git/info/exclude); the device call names it in `carry`. Run from the repository root:
#   bash benchmarks/gpu_wheels.sh [PYTHON_VERSION]      (default 3.12)
set -euo pipefail
version=${1:-3.12}
cd "$(dirname "$0")/.."
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || { mkdir -p .git/info; echo '/.whl/' >> .git/info/exclude; }
rm -rf .whl && mkdir -p .whl
python3 -m pip wheel -q --no-deps -w .whl . ./plugins/noether-cfd
platforms=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_24_x86_64 manylinux_2_17_x86_64 \
         manylinux2014_x86_64 manylinux1_x86_64; do platforms+=(--platform "$p"); done
python3 -m pip download -q --no-deps --only-binary=:all: --python-version "$version" --implementation cp \
    "${platforms[@]}" -d .whl \
    "cattrs>=25.1" "ruamel.yaml>=0.18" "ruamel.yaml.clib>=0.2.8" "meshio>=5.3,<6" "attrs>=24.1" "pluggy>=1.5" \
    "typing-extensions>=4.12"
ls -la .whl
du -sh .whl
