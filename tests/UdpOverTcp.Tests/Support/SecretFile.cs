namespace UdpOverTcp.Tests.Support;

/// <summary>A --secret-file for a test: written owner-only, as the tunnel demands of a secret (it refuses one others can read).</summary>
public static class SecretFile
{
    public static string Write(string directory, string name, string secret)
    {
        string path = Path.Combine(directory, name);
        File.WriteAllText(path, secret);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return path;
    }
}
