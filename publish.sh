#!/usr/bin/env bash
# Publishes the Native AOT binary for each RID given (default: this host's) to artifacts/<rid>/udp-over-tcp.
# Usage: ./publish.sh [RID...]      e.g. ./publish.sh linux-x64
set -euo pipefail
cd "$(dirname "$0")"

if [ $# -eq 0 ]; then
  # The host's RID as the SDK names it (linux-x64, linux-arm64, osx-arm64, ...).
  set -- "$(dotnet --info | sed -n 's/^ *RID: *//p' | head -n 1)"
fi

for rid in "$@"; do
  echo "publishing $rid -> artifacts/$rid/"
  dotnet publish src/UdpOverTcp/UdpOverTcp.csproj -c Release -r "$rid" -o "artifacts/$rid" -p:DebugType=none -p:DebugSymbols=false -nologo
  ls -l "artifacts/$rid/udp-over-tcp"
done
