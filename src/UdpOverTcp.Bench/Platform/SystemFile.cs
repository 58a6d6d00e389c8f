using System.Text;

namespace UdpOverTcp.Bench.Platform;

/// <summary>
/// Reads a small file the system keeps (/proc/stat, /proc/&lt;pid&gt;/stat, /etc/os-release) whole,
/// or null when it is missing or unreadable: the bench then reports that figure as unknown. Bytes
/// and one decode, not File.ReadAllText: its text readers pulled ~90 KB into the binary.
/// </summary>
public static class SystemFile
{
    public static string? TryRead(string path)
    {
        try
        {
            return Encoding.UTF8.GetString(File.ReadAllBytes(path));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
