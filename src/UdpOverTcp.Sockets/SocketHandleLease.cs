using System.Runtime.InteropServices;

namespace UdpOverTcp.Sockets;

/// <summary>
/// A socket's descriptor, held for a system call made on it directly: the handle's reference count is
/// raised while the lease lives, so a close from another thread waits instead of freeing (and perhaps
/// reusing) the descriptor under the call. <c>using var lease = new SocketHandleLease(socket.SafeHandle);</c>
/// then <see cref="Fd"/>. A ref struct on the stack: nothing allocated, and it inlines.
/// </summary>
public ref struct SocketHandleLease : IDisposable
{
    private SafeHandle? _handle;

    /// <exception cref="ObjectDisposedException">The socket is closed already.</exception>
    public SocketHandleLease(SafeHandle handle)
    {
        bool added = false;
        handle.DangerousAddRef(ref added);   // throws, with nothing added, if the handle is closed
        _handle = handle;
        Fd = (int)handle.DangerousGetHandle();
    }

    public int Fd { get; }

    /// <summary>Gives the reference back, once.</summary>
    public void Dispose()
    {
        var handle = _handle;
        _handle = null;
        handle?.DangerousRelease();
    }
}
