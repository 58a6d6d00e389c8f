using System.Net;
using System.Net.Sockets;

namespace UdpOverTcp.Tests.Support;

/// <summary>
/// A slow path on loopback: a UDP relay that holds every datagram for <c>delay</c> each way. What
/// arrives on <see cref="Front"/> leaves from its back socket for the destination after the delay;
/// what the destination sends back to that socket leaves from <see cref="Front"/>, after the delay
/// again, for whoever last sent to the front. A round trip through it takes twice the delay.
/// </summary>
public sealed class DelayRelay : IDisposable
{
    private readonly Socket _front;
    private readonly Socket _back;
    private readonly IPEndPoint _destination;
    private readonly TimeSpan _delay;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread[] _threads;
    private EndPoint? _client;

    public DelayRelay(IPEndPoint destination, TimeSpan delay)
    {
        _destination = destination;
        _delay = delay;
        _front = Bind();
        _back = Bind();
        _threads =
        [
            new Thread(() => Relay(_front, remember: true, _back, () => _destination)) { IsBackground = true, Name = "relay front" },
            new Thread(() => Relay(_back, remember: false, _front, () => Volatile.Read(ref _client))) { IsBackground = true, Name = "relay back" },
        ];
        foreach (var thread in _threads)
        {
            thread.Start();
        }
    }

    /// <summary>Where a path sends to go through the relay.</summary>
    public IPEndPoint Front => (IPEndPoint)_front.LocalEndPoint!;

    public void Dispose()
    {
        _stop.Cancel();
        foreach (var thread in _threads)
        {
            thread.Join();
        }

        _front.Dispose();
        _back.Dispose();
        _stop.Dispose();
    }

    private static Socket Bind()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 100 };
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    /// <summary>Receives on <paramref name="from"/> and sends each datagram on from <paramref name="via"/> after the delay.</summary>
    private void Relay(Socket from, bool remember, Socket via, Func<EndPoint?> to)
    {
        var buffer = new byte[65536];
        EndPoint sender = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            int n;
            try
            {
                n = from.ReceiveFrom(buffer, ref sender);
            }
            catch (SocketException)
            {
                continue;   // the timeout, to look at the stop flag
            }

            if (remember)
            {
                Volatile.Write(ref _client, sender);
            }

            var datagram = buffer.AsSpan(0, n).ToArray();
            _ = Task.Delay(_delay, _stop.Token).ContinueWith(
                _ =>
                {
                    if (to() is { } destination)
                    {
                        try
                        {
                            via.SendTo(datagram, destination);
                        }
                        catch (ObjectDisposedException)
                        {
                        }
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.OnlyOnRanToCompletion,
                TaskScheduler.Default);
        }
    }
}
