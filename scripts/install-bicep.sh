#!/usr/bin/env bash
# Installs the pinned Bicep CLI into .tools/bicep/bicep, where `npm run lint:infra` and the infra tests
# look for it. The machines reach NuGet (not GitHub releases), and NuGet's
# Azure.Bicep.CommandLine.linux-x64 package carries the native binary: a throwaway project with a
# <PackageDownload> of it is restored, and the binary copied out. Running it again changes nothing.
set -euo pipefail

VERSION="${BICEP_VERSION:-0.49.2}"
PACKAGE="Azure.Bicep.CommandLine.linux-x64"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="$ROOT/.tools/bicep/bicep"

if [ -x "$TARGET" ] && "$TARGET" --version 2>/dev/null | grep -q "version $VERSION "; then
  "$TARGET" --version
  exit 0
fi
if ! command -v dotnet >/dev/null 2>&1; then
  echo "install-bicep: the .NET SDK (dotnet) is needed to fetch $PACKAGE $VERSION from NuGet." >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
packages="$work/packages"
cat >"$work/bicep.csproj" <<PROJECT
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>netstandard2.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="$PACKAGE" Version="[$VERSION]" />
  </ItemGroup>
</Project>
PROJECT
DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 dotnet restore "$work/bicep.csproj" --packages "$packages" >"$work/restore.log" 2>&1 || {
  cat "$work/restore.log" >&2
  exit 1
}
binary="$packages/$(echo "$PACKAGE" | tr '[:upper:]' '[:lower:]')/$VERSION/tools/bicep"
if [ ! -f "$binary" ]; then
  echo "install-bicep: $PACKAGE $VERSION has no tools/bicep" >&2
  exit 1
fi
mkdir -p "$(dirname "$TARGET")"
cp "$binary" "$TARGET"
chmod +x "$TARGET"
"$TARGET" --version
