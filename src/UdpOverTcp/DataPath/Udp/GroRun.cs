using UdpOverTcp.Sockets;
namespace UdpOverTcp.DataPath.Udp;

/// <summary>
/// The datagrams in one received message. With UDP GRO (see <see cref="Gso.TryEnableGro"/>) a run of
/// datagrams the app sent as one GSO buffer arrives joined, with its segment size: every datagram but
/// the last is exactly that long. Without one (segment size 0, or not less than the length) the message
/// is one datagram, an empty one included. Enumerates (offset, length) pairs; nothing allocated.
/// </summary>
public readonly struct GroRun(int length, int segmentSize)
{
    public Enumerator GetEnumerator() => new(length, segmentSize <= 0 || segmentSize >= length ? Math.Max(length, 1) : segmentSize);

    public struct Enumerator(int length, int segment)
    {
        private int _next;
        private bool _started;

        public (int Offset, int Length) Current { get; private set; }

        public bool MoveNext()
        {
            // The first datagram always exists (it may be empty); the rest while bytes remain.
            if (_started && _next >= length)
            {
                return false;
            }

            _started = true;
            Current = (_next, Math.Min(segment, length - _next));
            _next += segment;
            return true;
        }
    }
}
