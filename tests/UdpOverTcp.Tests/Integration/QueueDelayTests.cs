using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Cli;
using UdpOverTcp.DataPath.Lanes;
using UdpOverTcp.Framing;
using UdpOverTcp.Sessions;
using UdpOverTcp.Sockets;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Integration;

/// <summary>
/// --queue-delay against a TCP peer that stops reading: what waited too long is dropped at the head of
/// the queue and counted, and what does arrive is whole, in order and uncorrupted, though sends
/// stopped part-way through frames of every size.
/// </summary>
[InProcessTest]
public sealed class QueueDelayTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMilliseconds(20);

    public static TheoryData<UdpDataPath, FramingKind> Paths()
    {
        var paths = new TheoryData<UdpDataPath, FramingKind> { { UdpDataPath.Portable, FramingKind.U32LittleEndian } };
        if (OperatingSystem.IsLinux())
        {
            paths.Add(UdpDataPath.Batched, FramingKind.U32LittleEndian);
            paths.Add(UdpDataPath.Batched, FramingKind.U16BigEndian);
        }

        return paths;
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Stale_datagrams_are_dropped_whole_and_the_rest_arrive_intact_in_order_within_their_lane(UdpDataPath path, FramingKind framing)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.ReceiveBufferSize = 16 * 1024;   // accepted sockets inherit it: the peer's window fills soon
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var app = new UdpApp();
        using var tunnel = new Tunnel(new TunnelOptions
        {
            Role = TcpRole.Connect,
            TcpEndpoint = (IPEndPoint)listener.LocalEndPoint!,
            UdpBind = new IPEndPoint(IPAddress.Loopback, 0),
            UdpSendTo = app.EndPoint,
            Framing = framing,
            DataPath = path,
            QueueDelay = Limit,
        });
        using var stop = new CancellationTokenSource();
        var running = tunnel.RunAsync(stop.Token);
        try
        {
            using var peer = await listener.AcceptAsync().Within("the tunnel to connect");
            await tunnel.WhenLinkUp().Within("the link");

            // Datagrams of every size from 4 bytes to 6000, so sends stop inside headers and payloads alike.
            var random = new Random(20261202);
            int sent = 0;
            for (int burst = 0; burst < 20; burst++)
            {
                for (int i = 0; i < 100; i++, sent++)
                {
                    app.SendTo(tunnel.UdpEndPoint, Datagram(sent, random.Next(4, 6001)));
                }

                int expected = sent;
                await Eventually.True(() => Interlocked.Read(ref tunnel.Stats.UdpReceived) == expected, "the tunnel to take each burst");
            }

            // The peer has read nothing yet: what the kernel did not take has waited since. The link is
            // stalled (a dip, not an overload): let it stand above the limit for longer than a dip's
            // allowance and the interval, so the first look at it drops.
            await Task.Delay(Limit + (2 * DropSchedule.GentleInterval) + TimeSpan.FromMilliseconds(50));

            // Read until every datagram is accounted for; the last drops may come after the last frame.
            var codec = new FrameCodec(framing);
            var stream = new NetworkStream(peer);
            // In order within each lane: small datagrams may overtake larger ones (--priority-size).
            int delivered = 0, lastSmall = -1, lastLarge = -1;
            var next = ReadFrameAsync(stream, codec);
            while (true)
            {
                await Eventually.True(() => next.IsCompleted || delivered + Dropped(tunnel.Stats) == sent, "a frame, or every datagram accounted for");
                if (!next.IsCompleted)
                {
                    break;
                }

                var payload = await next;
                int sequence = BinaryPrimitives.ReadInt32LittleEndian(payload);
                ref int last = ref payload.Length <= TunnelOptions.DefaultPrioritySize ? ref lastSmall : ref lastLarge;
                Assert.True(sequence > last, $"datagram {sequence} of {payload.Length} bytes after {last}");
                Assert.Equal(Datagram(sequence, payload.Length), payload);
                last = sequence;
                delivered++;
                next = ReadFrameAsync(stream, codec);
            }

            Assert.Equal(sent, delivered + Dropped(tunnel.Stats));
            Assert.True(tunnel.Stats.DroppedStale > 0, "nothing was dropped as stale");
            Assert.Contains(" stale, queue delay now ", tunnel.StatusLine());
        }
        finally
        {
            stop.Cancel();
            await running.Within("the tunnel to stop");
        }
    }

    /// <summary>Stale, or dropped while the pipe was full (its byte bound): the only losses allowed here.</summary>
    private static long Dropped(TunnelStats stats) => Interlocked.Read(ref stats.DroppedStale) + Interlocked.Read(ref stats.DroppedBackpressure);

    private static byte[] Datagram(int sequence, int length)
    {
        var datagram = new byte[length];
        Array.Fill(datagram, (byte)sequence);
        BinaryPrimitives.WriteInt32LittleEndian(datagram, sequence);
        return datagram;
    }

    private static async Task<byte[]> ReadFrameAsync(NetworkStream stream, FrameCodec codec)
    {
        var header = new byte[codec.HeaderSize];
        await stream.ReadExactlyAsync(header);
        int length = codec.HeaderSize == 4 ? (int)BinaryPrimitives.ReadUInt32LittleEndian(header) : BinaryPrimitives.ReadUInt16BigEndian(header);
        Assert.InRange(length, 4, 6000);
        var payload = new byte[length];
        await stream.ReadExactlyAsync(payload);
        return payload;
    }
}
