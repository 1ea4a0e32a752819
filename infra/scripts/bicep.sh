#!/usr/bin/env bash
# Validates the infrastructure with the real Bicep CLI: `bicep build` and `bicep lint` on every .bicep
# file under infra/, `bicep build-params` on every .bicepparam file. Fails on any error and on any
# warning, from the compiler or the linter (infra/bicepconfig.json raises the linter rules to errors;
# the output is checked for warnings as well, since compiler warnings have no configurable level).
#
# Where the CLI comes from, first match wins:
#   1. $BICEP_BIN
#   2. `bicep` on PATH, or ~/.azure/bin/bicep (what `az bicep install` puts there)
#   3. the NuGet package Azure.Bicep.CommandLine.linux-x64 ($BICEP_VERSION, default below), restored
#      once with `dotnet restore infra/tools/bicep-cli.csproj` into infra/.bicep/ (git-ignored)
# If none can be had, the script says why and fails, unless BICEP_ALLOW_SKIP=1: then it prints a
# SKIP line and exits 0, for machines whose package source lacks the Bicep CLI.
#
# Usage: bash infra/scripts/bicep.sh   (or: npm run bicep)
set -euo pipefail

infra_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_dir="$infra_dir/.bicep"
version="${BICEP_VERSION:-0.47.16}"
package_id="Azure.Bicep.CommandLine.linux-x64"
package_dir="$cache_dir/packages/$(printf '%s' "$package_id" | tr '[:upper:]' '[:lower:]')/$version"

say() { printf 'bicep: %s\n' "$*"; }

unavailable() {
  say "the Bicep CLI is not available: $*"
  if [ "${BICEP_ALLOW_SKIP:-0}" = "1" ]; then
    echo "SKIP: infrastructure not validated (no Bicep CLI on this machine; BICEP_ALLOW_SKIP=1)"
    exit 0
  fi
  say "install it (az bicep install), set BICEP_BIN, or set BICEP_ALLOW_SKIP=1 to skip this check"
  exit 1
}

restore_from_nuget() {
  command -v dotnet >/dev/null 2>&1 || return 1
  mkdir -p "$cache_dir"
  say "restoring $package_id $version from NuGet into ${cache_dir#"$PWD"/}"
  # The intermediate folders go to the cache too, so nothing appears under infra/tools.
  if ! dotnet restore "$infra_dir/tools/bicep-cli.csproj" \
    --packages "$cache_dir/packages" \
    -p:BicepCliVersion="$version" \
    -p:BaseIntermediateOutputPath="$cache_dir/obj/" \
    -p:MSBuildProjectExtensionsPath="$cache_dir/obj/" \
    --nologo >"$cache_dir/restore.log" 2>&1; then
    grep -E 'error' "$cache_dir/restore.log" | sed 's/^/  /' | head -5 || true
    return 1
  fi
  return 0
}

# Sets $bicep to the CLI's path, or ends the script through `unavailable`.
find_bicep() {
  if [ -n "${BICEP_BIN:-}" ]; then
    [ -x "$BICEP_BIN" ] || unavailable "BICEP_BIN=$BICEP_BIN is not an executable"
    bicep="$BICEP_BIN"
  elif command -v bicep >/dev/null 2>&1; then
    bicep="$(command -v bicep)"
  elif [ -x "$HOME/.azure/bin/bicep" ]; then
    bicep="$HOME/.azure/bin/bicep"
  else
    if [ ! -f "$package_dir/tools/bicep" ]; then
      restore_from_nuget || unavailable "$package_id $version could not be restored from NuGet (details: ${cache_dir}/restore.log)"
    fi
    [ -f "$package_dir/tools/bicep" ] || unavailable "the $package_id package has no tools/bicep"
    # NuGet does not keep the executable bit.
    chmod +x "$package_dir/tools/bicep"
    bicep="$package_dir/tools/bicep"
  fi
}

# The CLI is a .NET single-file app: without ICU it must run in invariant globalization mode.
if ! ldconfig -p 2>/dev/null | grep -q libicu; then
  export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
fi

bicep=""
find_bicep
mkdir -p "$cache_dir/bin" "$cache_dir/out"
# A stable path for the tests (test/infra), which compile main.bicep when the CLI is there.
ln -sfn "$bicep" "$cache_dir/bin/bicep"
say "using $("$bicep" --version 2>/dev/null | head -1) ($bicep)"

problems=0
checked=0

# Runs one bicep command; any failure exit or any warning/error line counts as a problem.
check() {
  local label="$1"
  shift
  local output status=0
  output="$("$@" 2>&1)" || status=$?
  checked=$((checked + 1))
  local findings
  findings="$(printf '%s\n' "$output" | grep -E ' : (Warning|Error) ' || true)"
  if [ "$status" -ne 0 ] || [ -n "$findings" ]; then
    problems=$((problems + 1))
    say "FAIL $label"
    printf '%s\n' "${findings:-$output}" | sed 's/^/  /'
  else
    say "ok   $label"
  fi
}

mapfile -t bicep_files < <(find "$infra_dir" -path "$cache_dir" -prune -o -name '*.bicep' -print | sort)
mapfile -t param_files < <(find "$infra_dir" -path "$cache_dir" -prune -o -name '*.bicepparam' -print | sort)
[ "${#bicep_files[@]}" -gt 0 ] || {
  say "no .bicep files under $infra_dir"
  exit 1
}

for file in "${bicep_files[@]}"; do
  relative="${file#"$infra_dir"/}"
  out_dir="$cache_dir/out/$(dirname "$relative")"
  mkdir -p "$out_dir"
  check "build $relative" "$bicep" build "$file" --outdir "$out_dir"
  check "lint  $relative" "$bicep" lint "$file"
done

for file in "${param_files[@]}"; do
  relative="${file#"$infra_dir"/}"
  check "build-params $relative" "$bicep" build-params "$file" --outfile "$cache_dir/out/${relative%.bicepparam}.parameters.json"
done

if [ "$problems" -gt 0 ]; then
  say "$problems of $checked checks found errors or warnings"
  exit 1
fi
say "all $checked checks clean (${#bicep_files[@]} Bicep files, ${#param_files[@]} parameter files)"
