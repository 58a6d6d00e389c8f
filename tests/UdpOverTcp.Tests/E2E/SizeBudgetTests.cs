using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// The tunnel's size budget, SizeBudgetBytes in src/UdpOverTcp/UdpOverTcp.csproj: its CheckSizeBudget
/// target fails `dotnet publish` (and so ./publish.sh, publish.ps1 and CI) with one line when the
/// binary is over it, and the binaries ./publish.sh left in artifacts/ are within it. The budget is
/// read from the project (as MSBuild evaluates it), never repeated here. Runs after ./publish.sh: the
/// publish here is incremental on that build, and goes to a folder of its own, never artifacts/.
/// </summary>
[EndToEndTest]
public sealed class SizeBudgetTests : IDisposable
{
    private const string Project = "src/UdpOverTcp/UdpOverTcp.csproj";

    private readonly string _output = Directory.CreateTempSubdirectory("uot-size-budget-").FullName;

    [SkippableTheory]
    [InlineData("linux-x64")]
    [InlineData("linux-arm64")]
    [InlineData("linux-musl-x64")]
    public void The_published_tunnel_is_within_its_budget(string rid)
    {
        string path = PublishedBinary.ArtifactPath(rid);
        if (rid == RuntimeInformation.RuntimeIdentifier)
        {
            // The host's own build is always there after ./publish.sh; missing is a failure.
            Assert.True(File.Exists(path), $"{path} is missing: run ./publish.sh first (the README's test command does)");
        }
        else
        {
            path = CrossBuild.Require(rid);
        }

        long budget = Budget(rid);
        long size = new FileInfo(path).Length;
        Assert.True(size <= budget, $"{path} is {size:N0} bytes, over its budget of {budget:N0} (SizeBudgetBytes in {Project})");
    }

    [SkippableFact]
    public void A_publish_over_a_tiny_budget_fails_with_one_line_naming_the_file_its_size_and_the_budget()
    {
        string rid = RuntimeInformation.RuntimeIdentifier;
        Skip.IfNot(OperatingSystem.IsLinux(), "the publish is tried on a Linux host (./publish.sh's)");
        string artifact = PublishedBinary.ArtifactPath(rid);
        Assert.True(File.Exists(artifact), $"{artifact} is missing: run ./publish.sh first (the README's test command does)");
        var before = (new FileInfo(artifact).Length, File.GetLastWriteTimeUtc(artifact));

        // ./publish.sh's arguments for the host's RID, so nothing recompiles, but into a folder of our
        // own; no build server or node is left running after it.
        var (code, stdout, stderr) = Command.Run(
            "dotnet", "publish", Path.Combine(PublishedBinary.RepositoryRoot, Project), "-c", "Release", "-r", rid, "-o", _output,
            "-p:DebugType=none", "-p:DebugSymbols=false", "-p:SizeBudgetBytes=1000",
            "-nologo", "-tl:off", "-nodeReuse:false", "-p:UseSharedCompilation=false");
        string all = stdout + stderr;

        Assert.True(code != 0, "the publish over its budget exited 0:\n" + all);
        var lines = all.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Contains("over its budget", StringComparison.Ordinal)).ToList();
        string line = Assert.Single(lines);
        string binary = Path.Combine(_output, "udp-over-tcp");
        // MSBuild ends the line with " [the project]" when the error comes from an imported file (SizeBudget.targets).
        var match = Regex.Match(line, $@"error : {Regex.Escape(binary)} is (?<size>\d{{1,3}}(,\d{{3}})*) bytes, over its budget of 1,000 \(SizeBudgetBytes in {Regex.Escape(Project)}\)( \[[^\]]+\])?$");
        Assert.True(match.Success, "not the line expected: " + line);
        Assert.Equal(new FileInfo(binary).Length, long.Parse(match.Groups["size"].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture));

        // What the other tests run is untouched.
        Assert.Equal(before, (new FileInfo(artifact).Length, File.GetLastWriteTimeUtc(artifact)));
    }

    public void Dispose() => Directory.Delete(_output, recursive: true);

    /// <summary>SizeBudgetBytes as MSBuild evaluates the tunnel's project for <paramref name="rid"/>.</summary>
    private static long Budget(string rid)
    {
        string value = Command.RunChecked(
            "the .NET SDK that built the tests", "dotnet", "msbuild", Path.Combine(PublishedBinary.RepositoryRoot, Project),
            "-getProperty:SizeBudgetBytes", $"-p:RuntimeIdentifier={rid}", "-p:Configuration=Release", "-nologo").Trim();
        Assert.True(long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long budget) && budget > 0,
            $"SizeBudgetBytes in {Project} is '{value}', not a number of bytes");
        return budget;
    }
}
