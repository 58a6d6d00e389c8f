#!/usr/bin/env pwsh
# Builds the two Native AOT executables for each RID given, the tunnel udp-over-tcp and the bench
# udp-over-tcp-bench (.exe on Windows), to artifacts/<rid>/ and packages them as
# artifacts/udp-over-tcp-<version>-<rid>.zip (win-*) or .tar.gz (osx-*, linux-*), holding both
# binaries, LICENSE-MIT, LICENSE-APACHE and README.md in a folder udp-over-tcp-<version>-<rid>/; then
# writes artifacts/SHA256SUMS (sha256sum format) over every archive present.
#
# Usage: ./publish.ps1                      this host's RID only
#        ./publish.ps1 win-x64 win-arm64    RIDs: win-x64 win-arm64 osx-x64 osx-arm64 linux-x64 linux-arm64 linux-musl-x64
#        ./publish.ps1 -All                 every RID this host's OS can build
#        ./publish.ps1 -PackageOnly RID...  package binaries already in artifacts/<rid>/
#        $env:PUBLISH_EXTRA_ARGS = '-p:SizeBudgetBytes=1000'; ./publish.ps1
#                                           passes extra arguments (split on spaces) to each `dotnet publish`
#
# The tunnel must stay under its size budget, SizeBudgetBytes in src/UdpOverTcp/UdpOverTcp.csproj:
# `dotnet publish` fails over it (the CheckSizeBudget target there), with one line naming the file,
# its size and the budget, and so does this script, before packaging.
#
# Native AOT compiles for the host's OS only, but for another architecture of it:
#   Windows: win-x64 and win-arm64 (Visual Studio's "Desktop development with C++" workload, with the
#            "MSVC ... ARM64 build tools" component for win-arm64; GitHub's windows runners have both).
#   macOS:   osx-x64 and osx-arm64 (Xcode or its command line tools).
#   Linux:   the host's RID here; linux-* cross builds go through ./publish.sh, which installs the
#            cross toolchain they need (see the comment at its top).
# The version comes from one place: <Version> in Directory.Build.props.
param(
    [switch] $All,
    [switch] $PackageOnly,
    [Parameter(ValueFromRemainingArguments = $true)] [string[]] $Rids = @()
)
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot

$KnownRids = @('win-x64', 'win-arm64', 'osx-x64', 'osx-arm64', 'linux-x64', 'linux-arm64', 'linux-musl-x64')

$version = ([xml](Get-Content -Raw Directory.Build.props)).Project.PropertyGroup |
    ForEach-Object { $_.Version } | Where-Object { $_ } | Select-Object -First 1
if (-not $version) { throw 'no <Version> in Directory.Build.props' }

# The host's RID as the SDK names it (win-x64, osx-arm64, linux-x64, ...).
$hostRid = (dotnet --info | Select-String -Pattern '^\s*RID:\s*(\S+)' | Select-Object -First 1).Matches[0].Groups[1].Value
$hostOs = $hostRid.Split('-')[0]

if ($Rids -contains '--all') { $All = $true; $Rids = @($Rids | Where-Object { $_ -ne '--all' }) }
if ($All) { $Rids += @($KnownRids | Where-Object { $_.StartsWith("$hostOs-") }) }
if ($Rids.Count -eq 0) { $Rids = @($hostRid) }

# Extra `dotnet publish` arguments from the environment (publish.sh reads the same variable).
$ExtraArgs = @("$env:PUBLISH_EXTRA_ARGS" -split ' ' | Where-Object { $_ })

# The tunnel and the bench, which starts the tunnel beside it.
$Programs = @('udp-over-tcp', 'udp-over-tcp-bench')
$Projects = @('src/UdpOverTcp/UdpOverTcp.csproj', 'src/UdpOverTcp.Bench/UdpOverTcp.Bench.csproj')

function Get-BinaryName([string] $rid, [string] $program) { if ($rid.StartsWith('win-')) { "$program.exe" } else { $program } }

function New-Package([string] $rid) {
    $name = "udp-over-tcp-$version-$rid"
    $binaries = @($Programs | ForEach-Object { Join-Path "artifacts/$rid" (Get-BinaryName $rid $_) })
    foreach ($binary in $binaries) { if (-not (Test-Path $binary)) { throw "$binary is missing" } }

    $stage = Join-Path ([System.IO.Path]::GetTempPath()) ([System.IO.Path]::GetRandomFileName())
    $folder = New-Item -ItemType Directory -Path (Join-Path $stage $name)
    Copy-Item ($binaries + @('LICENSE-MIT', 'LICENSE-APACHE', 'README.md')) -Destination $folder
    try {
        if ($rid.StartsWith('win-')) {
            $archive = "artifacts/$name.zip"
            Remove-Item $archive -ErrorAction SilentlyContinue
            Add-Type -AssemblyName System.IO.Compression.FileSystem
            # Entries are "udp-over-tcp-<version>-<rid>/<file>", with forward slashes.
            [System.IO.Compression.ZipFile]::CreateFromDirectory($stage, (Join-Path $PWD $archive),
                [System.IO.Compression.CompressionLevel]::Optimal, $false)
        }
        else {
            $archive = "artifacts/$name.tar.gz"
            if (-not $IsWindows) { foreach ($program in $Programs) { chmod 755 (Join-Path $folder (Get-BinaryName $rid $program)) } }
            $env:COPYFILE_DISABLE = '1'   # macOS tar: no AppleDouble ._ files
            tar -C $stage -czf $archive $name
            if ($LASTEXITCODE -ne 0) { throw "tar failed for $archive" }
        }
    }
    finally {
        Remove-Item -Recurse -Force $stage
    }
    Write-Host "packaged $archive"
}

function Write-Sums {
    $archives = @(Get-ChildItem artifacts -File | Where-Object { $_.Name -like 'udp-over-tcp-*.tar.gz' -or $_.Name -like 'udp-over-tcp-*.zip' } | Sort-Object Name)
    if ($archives.Count -eq 0) { return }
    # sha256sum's format: lowercase hex, two spaces, file name; LF line ends, so `sha256sum -c` reads it anywhere.
    $lines = $archives | ForEach-Object { '{0}  {1}' -f (Get-FileHash -Algorithm SHA256 $_.FullName).Hash.ToLowerInvariant(), $_.Name }
    [System.IO.File]::WriteAllText((Join-Path $PWD 'artifacts/SHA256SUMS'), (($lines -join "`n") + "`n"))
    Write-Host 'artifacts/SHA256SUMS:'
    $lines | ForEach-Object { Write-Host "  $_" }
}

$failed = @()
foreach ($rid in $Rids) {
    if ($KnownRids -notcontains $rid -and $rid -ne $hostRid) { Write-Warning "$rid is not one of: $($KnownRids -join ' ')" }
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    try {
        if ($PackageOnly) {
            New-Package $rid
            continue
        }
        if ($rid.StartsWith('linux-') -and $rid -ne $hostRid) {
            # Linux cross builds: publish.sh installs the toolchain, builds and packages.
            bash ./publish.sh $rid
            if ($LASTEXITCODE -ne 0) { throw "publish.sh $rid failed" }
            continue
        }
        if ($rid.Split('-')[0] -ne $hostOs) {
            throw "Native AOT cannot build $rid on ${hostRid}: it compiles for the host's OS only"
        }
        Write-Host "publishing $rid -> artifacts/$rid/ (udp-over-tcp $version)"
        foreach ($project in $Projects) {
            dotnet publish $project -c Release -r $rid -o "artifacts/$rid" -p:DebugType=none -p:DebugSymbols=false @ExtraArgs -nologo
            if ($LASTEXITCODE -ne 0) { throw "dotnet publish $project failed for $rid" }
        }
        foreach ($program in $Programs) {
            $binary = Join-Path "artifacts/$rid" (Get-BinaryName $rid $program)
            Get-Item $binary | Format-Table Name, Length
            if ($rid -eq $hostRid) {
                $shown = & $binary --version
                if ($shown -ne "$program $version") { throw "$program says '$shown', Directory.Build.props says $version" }
            }
        }
        New-Package $rid
        Write-Host "$rid took $([int]$watch.Elapsed.TotalSeconds) s"
    }
    catch {
        Write-Host "publish.ps1: $rid failed: $_" -ForegroundColor Red
        $failed += $rid
    }
}

Write-Sums
if ($failed.Count -gt 0) {
    Write-Host "publish.ps1: failed: $($failed -join ' ')" -ForegroundColor Red
    exit 1
}
