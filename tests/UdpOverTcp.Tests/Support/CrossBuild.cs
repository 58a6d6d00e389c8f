using System.Buffers.Binary;
using System.Text;

namespace UdpOverTcp.Tests.Support;

/// <summary>
/// A binary that ./publish.sh built for another RID (artifacts/&lt;rid&gt;/udp-over-tcp), and the tools
/// that run it here. Something missing is never a silent pass: the test is skipped with what to run,
/// or fails when the RID is listed in $UDP_OVER_TCP_REQUIRE_RIDS (as .ci/run does for what it builds).
/// </summary>
public static class CrossBuild
{
    public const string RequiredVariable = "UDP_OVER_TCP_REQUIRE_RIDS";

    /// <summary>The path of the binary for <paramref name="rid"/>, or a skip (a failure where required).</summary>
    public static string Require(string rid)
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip.If(true, $"the {rid} binary is tested on a Linux host");
        }

        string path = PublishedBinary.ArtifactPath(rid);
        if (!File.Exists(path))
        {
            Missing(rid, $"{path} is missing: run ./publish.sh {rid} first (it installs the cross toolchain it needs)");
        }

        return path;
    }

    /// <summary>Skips the test, or fails it when <paramref name="rid"/> is required here.</summary>
    public static void Missing(string rid, string what)
    {
        string[] required = (Environment.GetEnvironmentVariable(RequiredVariable) ?? "")
            .Split([',', ' '], StringSplitOptions.RemoveEmptyEntries);
        if (required.Contains(rid, StringComparer.Ordinal))
        {
            throw new InvalidOperationException($"{what} ({RequiredVariable} says {rid} must be tested here)");
        }

        Skip.If(true, what);
    }

    /// <summary>The first of <paramref name="names"/> found on PATH, or null.</summary>
    public static string? FindOnPath(params string[] names)
    {
        string[] dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        foreach (string name in names)
        {
            foreach (string dir in dirs)
            {
                string candidate = Path.Combine(dir, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>The ELF machine of a binary: 62 is x86-64, 183 is AArch64.</summary>
    public static int ElfMachine(string path)
    {
        byte[] header = ReadElfHeader(path);
        return BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(0x12));
    }

    /// <summary>The program interpreter (dynamic loader) an ELF executable asks for; null when it is static.</summary>
    public static string? ElfInterpreter(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        _ = ReadElfHeader(path);
        long phoff = BinaryPrimitives.ReadInt64LittleEndian(file.AsSpan(0x20));
        int phentsize = BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(0x36));
        int phnum = BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(0x38));
        for (int i = 0; i < phnum; i++)
        {
            var ph = file.AsSpan((int)(phoff + (i * phentsize)), phentsize);
            const uint PtInterp = 3;
            if (BinaryPrimitives.ReadUInt32LittleEndian(ph) == PtInterp)
            {
                long offset = BinaryPrimitives.ReadInt64LittleEndian(ph[8..]);
                long size = BinaryPrimitives.ReadInt64LittleEndian(ph[32..]);
                return Encoding.ASCII.GetString(file, (int)offset, (int)size).TrimEnd('\0');
            }
        }

        return null;
    }

    private static byte[] ReadElfHeader(string path)
    {
        byte[] header = new byte[64];
        using (var stream = File.OpenRead(path))
        {
            stream.ReadExactly(header);
        }

        // "\x7FELF", 64-bit, little-endian: what every RID this project ships for Linux is.
        if (header[0] != 0x7F || header[1] != (byte)'E' || header[2] != (byte)'L' || header[3] != (byte)'F' || header[4] != 2 || header[5] != 1)
        {
            throw new InvalidDataException($"{path} is not a 64-bit little-endian ELF file");
        }

        return header;
    }
}
