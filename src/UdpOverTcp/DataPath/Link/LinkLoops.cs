using UdpOverTcp.DataPath.Lanes;
namespace UdpOverTcp.DataPath.Link;

/// <summary>
/// How a <see cref="TcpLink"/>'s bytes meet its socket, and on which threads: a receive loop that fills
/// the link's input pipe, and a send loop that drains its output pipe, dropping what waited too long
/// (<see cref="TimeBoundedQueue"/>). Two kinds, picked with the UDP data path (<see cref="DataPathFactory"/>).
/// </summary>
public abstract class LinkLoops(TcpLink link)
{
    /// <summary>Smallest buffer a receive loop asks the input pipe for.</summary>
    protected const int MinimumReceiveSize = 16 * 1024;

    protected TcpLink Link { get; } = link;

    /// <summary>Starts both loops; completes when both have ended. The link closes the socket after that.</summary>
    public abstract Task RunAsync();

    /// <summary>The link was aborted and its socket shut down: wake whatever waits.</summary>
    public virtual void OnAborted()
    {
    }
}
