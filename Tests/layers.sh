#!/usr/bin/env bash
# Fails when a file in a lower layer of Sources/RecVec names a type declared in a higher layer.
# Usage: Tests/layers.sh [PACKAGE_ROOT]. A type belongs to the lowest folder that declares it
# (struct, enum, class, protocol, typealias, actor); a use is a whole-word match outside `//`
# comments. The order is README's "Layout" order; a folder missing from it fails too.
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
src="$root/Sources/RecVec"
layers=(Core Kernels Data Linalg Train Eval Index Store Serve Experiments Pipeline)
decl='^[[:space:]]*(@[A-Za-z]+[[:space:]]+)*((public|internal|package|private|fileprivate|final|indirect)[[:space:]]+)*(struct|enum|class|protocol|typealias|actor)[[:space:]]+([A-Za-z_][A-Za-z0-9_]*)'
declare -A owner
for ((i=0; i<${#layers[@]}; i++)); do
  d="$src/${layers[$i]}"; [ -d "$d" ] || continue
  while read -r name; do
    [ -n "$name" ] && [ -z "${owner[$name]:-}" ] && owner[$name]=$i
  done < <(grep -rhE "$decl" "$d" --include='*.swift' | sed -E "s/$decl.*/\5/" | sort -u)
done
for d in "$src"/*/; do
  n=$(basename "$d"); found=0
  case "$n" in *.docc) continue ;; esac   # the DocC catalog holds no Swift
  for l in "${layers[@]}"; do [ "$l" = "$n" ] && found=1; done
  [ $found = 1 ] || { echo "layers.sh: folder $n is not in the layer list (${layers[*]})"; exit 1; }
done
bad=0
for ((i=0; i<${#layers[@]}; i++)); do
  d="$src/${layers[$i]}"; [ -d "$d" ] || continue
  higher=()
  for name in "${!owner[@]}"; do (( ${owner[$name]} > i )) && higher+=("$name"); done
  [ ${#higher[@]} -gt 0 ] || continue
  pattern=$(IFS='|'; echo "${higher[*]}")
  while read -r f; do
    for name in $(sed -E 's#//.*$##' "$f" | grep -owE "$pattern" | sort -u); do
      echo "${f#$root/}: ${layers[$i]} names $name from ${layers[${owner[$name]}]}"; bad=1
    done
  done < <(find "$d" -name '*.swift' | sort)
done
if [ $bad = 1 ]; then
  echo "layers.sh: a lower layer names a type of a higher one (order: ${layers[*]}); move the type down or the code up"
fi
exit $bad
