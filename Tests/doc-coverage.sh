#!/usr/bin/env bash
# Counts the public declarations of a Swift source folder and how many carry a `///` doc comment.
# A declaration is a line starting (after indentation and attributes such as @inlinable) with
# `public` or `open`, other than `public extension` and `public import`; it is documented when the
# nearest line above it that is not blank or an attribute is a `///` line (or the end of a `/** */` block).
# Usage: Tests/doc-coverage.sh [FOLDER] [--list | --check]   (default FOLDER: Sources/RecVec; --list prints
# the undocumented ones; --check prints them too and exits 1 when there is any: DocCoverageTests runs it)
set -euo pipefail
cd "$(dirname "$0")/.."
folder=${1:-Sources/RecVec}
list=${2:-}
status=0
find "$folder" -name '*.swift' | sort | xargs awk -v list="$list" -v root="$folder" '
    FNR == 1 { prev = "" }
    {
        line = $0
        sub(/^[ \t]+/, "", line)
        decl = line
        while (decl ~ /^@[A-Za-z_]+(\([^)]*\))?[ \t]+/) sub(/^@[A-Za-z_]+(\([^)]*\))?[ \t]+/, "", decl)
        if (decl ~ /^(public|open)[ \t(]/ && decl !~ /^public[ \t]+(extension|import)[ \t]/) {
            folder = FILENAME; sub("^" root "/", "", folder); sub("/.*", "", folder)
            total++; per[folder]++
            if (prev ~ /^\/\/\// || prev ~ /\*\/$/) { documented++; doc[folder]++ }
            else if (list == "--list" || list == "--check") print FILENAME ":" FNR ": " decl
        }
        if (line != "" && line !~ /^@[A-Za-z_]+(\([^)]*\))?$/) prev = line
    }
    END {
        for (f in per) printf "%-10s %4d public, %4d documented (%.0f%%)\n", f, per[f], doc[f], 100 * doc[f] / per[f] | "sort"
        close("sort")
        printf "%-10s %4d public, %4d documented (%.0f%%)\n", "total", total, documented, total ? 100 * documented / total : 0
        if (list == "--check" && documented < total) exit 1
    }' || status=$?
if [ "$list" = --check ] && [ $status -ne 0 ]; then
    echo "doc-coverage.sh: the public declarations listed above have no /// comment: say what each is (units, ranges, what it throws), or make it internal if nothing outside the module uses it"
    exit 1
fi
exit $status
