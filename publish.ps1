#!/usr/bin/env pwsh
# Publishes the Native AOT binary for each RID given (default: this host's) to artifacts/<rid>/.
# Usage: ./publish.ps1 [RID...]      e.g. ./publish.ps1 win-x64 osx-arm64
# Native AOT compiles for the host OS only: build win-* on Windows, osx-* on macOS.
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot

$rids = $args
if ($rids.Count -eq 0) {
    $line = (dotnet --info | Select-String -Pattern '^\s*RID:\s*(\S+)' | Select-Object -First 1)
    $rids = @($line.Matches[0].Groups[1].Value)
}

foreach ($rid in $rids) {
    Write-Host "publishing $rid -> artifacts/$rid/"
    dotnet publish src/UdpOverTcp/UdpOverTcp.csproj -c Release -r $rid -o "artifacts/$rid" -p:DebugType=none -p:DebugSymbols=false -nologo
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    Get-ChildItem "artifacts/$rid" | Where-Object { $_.Name -like 'udp-over-tcp*' } | Format-Table Name, Length
}
