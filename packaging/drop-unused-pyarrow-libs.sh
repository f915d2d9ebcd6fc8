#!/usr/bin/env bash
# Remove pyarrow's libarrow_substrait, libarrow_dataset and libarrow_acero from a bundle when
# nothing left in it calls them:
#   PATCHELF=/path/to/patchelf packaging/drop-unused-pyarrow-libs.sh ROOT PYARROW_DIR
# Every pyarrow module lists the three as NEEDED, but the ones the bundle keeps (lib, _compute,
# _fs, _parquet, libarrow_python) call none of their symbols: the spec excludes the modules
# that do. That is proven here with nm over every shared library under ROOT, not assumed:
# only when no other library wants a symbol the three define are the NEEDED entries removed
# (patchelf) and the libraries and the links to them deleted. Otherwise, or without
# patchelf, everything stays and the script says why. Exit 0 either way.
set -euo pipefail
root=${1:?usage: drop-unused-pyarrow-libs.sh ROOT PYARROW_DIR}
pyarrow=${2:?usage: drop-unused-pyarrow-libs.sh ROOT PYARROW_DIR}

unused=()
for lib in "$pyarrow"/libarrow_{substrait,dataset,acero}.so.*; do
  [ -f "$lib" ] && [ ! -L "$lib" ] && unused+=("$lib")
done
if [ ${#unused[@]} -eq 0 ]; then
  exit 0
fi
if [ -z "${PATCHELF:-}" ]; then
  echo "== patchelf not found: keeping ${#unused[@]} unused pyarrow libraries"
  exit 0
fi
users=()
while IFS= read -r -d '' lib; do
  case " ${unused[*]} " in *" $lib "*) ;; *) users+=("$lib") ;; esac
done < <(find "$root" -type f \( -name '*.so' -o -name '*.so.*' \) -print0)
defined=$(nm -D --defined-only "${unused[@]}" 2>/dev/null | awk 'NF == 3 {print $3}' | sort -u)
wanted=$(nm -D --undefined-only "${users[@]}" 2>/dev/null |
  awk 'NF == 2 && ($1 == "U" || $1 == "w") {print $2}' | sort -u)
clash=$(comm -12 <(echo "$defined") <(echo "$wanted") | head -3)
if [ -n "$clash" ]; then
  echo "== keeping pyarrow's substrait/dataset/acero: the bundle calls $(echo $clash)"
  exit 0
fi
removes=()
for lib in "${unused[@]}"; do removes+=(--remove-needed "$(basename "$lib")"); done
for lib in "${users[@]}"; do
  if readelf -d "$lib" 2>/dev/null | grep -q 'NEEDED.*libarrow_\(substrait\|dataset\|acero\)'; then
    "$PATCHELF" "${removes[@]}" "$lib"
  fi
done
rm -f "${unused[@]}"
find "$root" -xtype l -delete  # the links PyInstaller made to them in _internal/
echo "== removed pyarrow's unused libraries: $(basename -a "${unused[@]}" | tr '\n' ' ')"
