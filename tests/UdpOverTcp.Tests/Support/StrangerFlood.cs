using System.Net;
using System.Net.Sockets;

namespace UdpOverTcp.Tests.Support;

/// <summary>
/// Strangers without the secret who keep a listen side's TCP port busy: a fixed number of connections,
/// each from one of the given source addresses, that say nothing (<see cref="Kind.Idle"/>) or trickle a
/// well-formed hello one byte every half second, too slowly to finish it (<see cref="Kind.Slow"/>). Each is
/// opened again as soon as the listen side closes it, until the flood is disposed.
/// </summary>
public sealed class StrangerFlood : IAsyncDisposable
{
    public enum Kind
    {
        Idle,
        Slow,
    }

    private static readonly TimeSpan TrickleInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>A connect side's hello as a stranger can forge it: the magic, the role, any nonce.</summary>
    private static readonly byte[] Hello = [.. "UoT\u0001C"u8, .. new byte[32]];

    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _allConnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _count;
    private readonly Task[] _holders;
    private int _connectedOnce;
    private long _opened;

    public StrangerFlood(IPEndPoint target, int count, IReadOnlyList<IPAddress> sources, Kind kind)
    {
        _count = count;
        _holders = [.. Enumerable.Range(0, count).Select(i => Task.Run(() => HoldAsync(target, sources[i % sources.Count], kind)))];
    }

    /// <summary>127.0.0.2 to 127.0.0.65, and with <paramref name="alsoPeerAddress"/> 127.0.0.1, where the real peer connects from.</summary>
    public static IReadOnlyList<IPAddress> LoopbackSources(bool alsoPeerAddress) =>
        [.. alsoPeerAddress ? [IPAddress.Loopback] : Array.Empty<IPAddress>(), .. Enumerable.Range(2, 64).Select(i => new IPAddress([127, 0, 0, (byte)i]))];

    /// <summary>Completes once every connection has been established at least once.</summary>
    public Task AllConnected => _allConnected.Task;

    /// <summary>Connections opened so far, re-openings included.</summary>
    public long Opened => Interlocked.Read(ref _opened);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await Task.WhenAll(_holders).Within("the strangers to hang up");
        _stop.Dispose();
    }

    private async Task HoldAsync(IPEndPoint target, IPAddress source, Kind kind)
    {
        var token = _stop.Token;
        bool first = true;
        var buffer = new byte[256];
        while (!token.IsCancellationRequested)
        {
            using var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(target, token);
                Interlocked.Increment(ref _opened);
                if (first && Interlocked.Increment(ref _connectedOnce) == _count)
                {
                    _allConnected.TrySetResult();
                }

                first = false;
                // Whatever the listen side sends or does, the stranger only waits for it to hang up.
                var hungUp = ReadUntilClosedAsync(socket, buffer, token);
                for (int sent = 0; kind == Kind.Slow && sent < Hello.Length - 1 && !hungUp.IsCompleted; sent++)
                {
                    await socket.SendAsync(Hello.AsMemory(sent, 1), token);
                    await Task.WhenAny(hungUp, Task.Delay(TrickleInterval, token));
                }

                await hungUp;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                // Reset, or refused while the listen side was busy: a real stranger tries again a moment later.
                await Task.Delay(TrickleInterval, CancellationToken.None);
            }
        }
    }

    private static async Task ReadUntilClosedAsync(Socket socket, byte[] buffer, CancellationToken token)
    {
        while (await socket.ReceiveAsync(buffer, token) > 0)
        {
        }
    }
}
