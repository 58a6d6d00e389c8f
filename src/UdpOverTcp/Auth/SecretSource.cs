using UdpOverTcp.CommandLine;

namespace UdpOverTcp.Auth;

/// <summary>
/// Loads the shared secret from --secret-file or UDP_OVER_TCP_SECRET. The secret itself never
/// reaches a log line or an error message: only the file's path does.
/// </summary>
public static class SecretSource
{
    public const string EnvironmentVariable = "UDP_OVER_TCP_SECRET";

    /// <summary>The secret, or null when none is configured. Throws <see cref="SecretException"/> when it cannot be used.</summary>
    public static byte[]? Load(string? path, string? environmentValue)
    {
        if (path is not null && !string.IsNullOrEmpty(environmentValue))
        {
            throw new UsageException($"give the secret once: --secret-file or {EnvironmentVariable}, not both");
        }

        byte[] secret;
        if (path is not null)
        {
            try
            {
                secret = File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new SecretException($"cannot read the secret file {path}: {e.Message}");
            }

            WarnIfOthersCanRead(path);
            secret = TrimLineEnd(secret);
        }
        else if (!string.IsNullOrEmpty(environmentValue))
        {
            secret = System.Text.Encoding.UTF8.GetBytes(environmentValue);
        }
        else
        {
            return null;
        }

        if (secret.Length == 0)
        {
            throw new SecretException(path is not null ? $"the secret file {path} is empty" : $"{EnvironmentVariable} is empty");
        }

        return secret;
    }

    /// <summary>`echo secret > file` adds a newline the other end may not have: a trailing line end is not part of the secret.</summary>
    private static byte[] TrimLineEnd(byte[] secret)
    {
        int length = secret.Length;
        if (length > 0 && secret[length - 1] == (byte)'\n')
        {
            length--;
            if (length > 0 && secret[length - 1] == (byte)'\r')
            {
                length--;
            }
        }

        return length == secret.Length ? secret : secret[..length];
    }

    private static void WarnIfOthersCanRead(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var mode = File.GetUnixFileMode(path);
        if ((mode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0)
        {
            Log.Warn($"the secret file {path} is readable by other users (chmod 600 it)");
        }
    }
}

/// <summary>The secret is configured but cannot be used: exit code 1 with one line.</summary>
public sealed class SecretException(string message) : Exception(message);
