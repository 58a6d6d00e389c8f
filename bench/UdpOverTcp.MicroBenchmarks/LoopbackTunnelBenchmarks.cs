using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using UdpOverTcp.Cli;
using UdpOverTcp.CommandLine;
using UdpOverTcp.Sessions;
using UdpOverTcp.Sockets;

namespace UdpOverTcp.MicroBenchmarks;

/// <summary>
/// Two tunnel ends in this process on loopback, driven with allocation-free synchronous socket calls:
/// a ping-pong round trip (latency, nothing batched) and a burst of 64 one way (the batched case).
/// MemoryDiagnoser must show 0 B: the whole data path, both directions, allocates nothing per datagram.
/// </summary>
[MemoryDiagnoser]
public class LoopbackTunnelBenchmarks
{
    private const int Burst = 64;
    private readonly byte[] _datagram = new byte[65536];
    private readonly byte[] _received = new byte[65536];
    private CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;
    private Tunnel? _listen;
    private Tunnel? _connect;
    private Socket _appX = null!;
    private Socket _appY = null!;
    private SocketAddress _xEntry = null!;
    private SocketAddress _yEntry = null!;

    [Params(UdpDataPath.Portable, UdpDataPath.Batched)]
    public UdpDataPath Path { get; set; }

    [Params(64, 1200)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var loopback0 = new IPEndPoint(IPAddress.Loopback, 0);
        _appX = Bind(loopback0);
        _appY = Bind(loopback0);
        _listen = new Tunnel(new TunnelOptions { Role = TcpRole.Listen, TcpEndpoint = loopback0, UdpBind = loopback0, UdpSendTo = (IPEndPoint)_appY.LocalEndPoint!, DataPath = Path });
        _connect = new Tunnel(new TunnelOptions { Role = TcpRole.Connect, TcpEndpoint = _listen.TcpListenEndPoint, UdpBind = loopback0, UdpSendTo = (IPEndPoint)_appX.LocalEndPoint!, DataPath = Path });
        Log.Level = LogLevel.Warn;
        _stop = new CancellationTokenSource();
        _running = Task.WhenAll(_listen.RunAsync(_stop.Token), _connect.RunAsync(_stop.Token));
        Task.WhenAll(_listen.WhenLinkUp(), _connect.WhenLinkUp()).Wait(TimeSpan.FromSeconds(30));
        _xEntry = _connect.UdpEndPoint.Serialize();
        _yEntry = _listen.UdpEndPoint.Serialize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop.Cancel();
        _running.Wait(TimeSpan.FromSeconds(30));
        _listen?.Dispose();
        _connect?.Dispose();
        _appX.Dispose();
        _appY.Dispose();
    }

    /// <summary>X → tunnel → tunnel → Y, and Y's reply back: one round trip, one datagram at a time.</summary>
    [Benchmark]
    public int PingPong()
    {
        _appX.SendTo(_datagram.AsSpan(0, Size), SocketFlags.None, _xEntry);
        int n = _appY.Receive(_received);
        _appY.SendTo(_datagram.AsSpan(0, Size), SocketFlags.None, _yEntry);
        return n + _appX.Receive(_received);
    }

    /// <summary>64 datagrams X → Y as fast as they go in; per datagram.</summary>
    [Benchmark(OperationsPerInvoke = Burst)]
    public int Burst64()
    {
        for (int i = 0; i < Burst; i++)
        {
            _appX.SendTo(_datagram.AsSpan(0, Size), SocketFlags.None, _xEntry);
        }

        int total = 0;
        for (int i = 0; i < Burst; i++)
        {
            total += _appY.Receive(_received);
        }

        return total;
    }

    private static Socket Bind(IPEndPoint endpoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
        {
            ReceiveBufferSize = 4 << 20,
            ReceiveTimeout = 10_000,   // a lost datagram fails the run instead of hanging it
        };
        socket.Bind(endpoint);
        return socket;
    }
}
