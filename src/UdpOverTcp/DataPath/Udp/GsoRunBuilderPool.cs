using System.Net;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using UdpOverTcp.Sockets;

namespace UdpOverTcp.DataPath.Udp;

/// <summary>
/// The sendmmsg batches the --multi-client clients share. A <see cref="GsoRunBuilder"/> is about
/// 230 KB (its iovecs, their pins and a spare buffer), a thousand clients' worth 230 MB; but a client
/// needs one only from the first datagram of a TCP read to the send at its end, so the clients take
/// one from here for that long, and there are only ever as many as reads decoded at once (one per
/// thread running them). All clients send to the same --udp-sendto, so every builder carries it.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed unsafe class GsoRunBuilderPool : IDisposable
{
    /// <summary>Builders kept for the next read; more than this at once (a burst of threads) are freed when given back.</summary>
    private const int Kept = 8;

    private readonly Stack<GsoRunBuilder> _idle = new(Kept);
    private readonly byte* _destination;
    private readonly int _destinationLength;
    private bool _disposed;

    public GsoRunBuilderPool(IPEndPoint destination)
    {
        _destination = (byte*)NativeMemory.AllocZeroed(SocketAddressBytes.MaxLength);
        _destinationLength = SocketAddressBytes.Write(destination, new Span<byte>(_destination, SocketAddressBytes.MaxLength));
    }

    /// <summary>Builders made so far, for the tests.</summary>
    public int Made { get; private set; }

    /// <summary>An empty builder, for one read's batch.</summary>
    public GsoRunBuilder Rent()
    {
        lock (_idle)
        {
            if (_idle.TryPop(out var builder))
            {
                return builder;
            }

            Made++;
        }

        return new GsoRunBuilder(_destination, _destinationLength);
    }

    /// <summary>Takes back a builder that was <see cref="GsoRunBuilder.Clear"/>ed.</summary>
    public void Return(GsoRunBuilder builder)
    {
        lock (_idle)
        {
            if (!_disposed && _idle.Count < Kept)
            {
                _idle.Push(builder);
                return;
            }
        }

        builder.Dispose();
    }

    /// <summary>Frees the idle builders. The destination is freed with the process (one pool per tunnel): a builder still out points at it.</summary>
    public void Dispose()
    {
        lock (_idle)
        {
            _disposed = true;
            while (_idle.TryPop(out var builder))
            {
                builder.Dispose();
            }
        }
    }
}
