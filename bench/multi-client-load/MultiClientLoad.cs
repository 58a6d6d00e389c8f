// Load for a listen end (issue 16, --multi-client): N raw TCP clients speaking the u32le wire format,
// an echo app behind the server, and a paced sender (every millisecond, each client sends what is due
// for it in one TCP send). Every datagram goes client -> TCP -> server -> UDP -> echo -> UDP -> server
// -> TCP -> the same client, which checks its own id and sequence; with ONEWAY=1 the app only counts
// what arrives (clients -> server -> app). A measuring tool, not part of the build or the tests.
// Usage (Linux, .NET 10 SDK; root for the echo's SO_RCVBUFFORCE):
//   ONEWAY=1 dotnet run MultiClientLoad.cs -- artifacts/linux-x64/udp-over-tcp CLIENTS RATE_PER_CLIENT SECONDS SIZE [--multi-client ...]
// Prints one line (offered, sent, received, lost, wrong-client, out-of-order, the server's CPU time,
// per million datagrams, threads, VmRSS) and the server's statistics line.
#:property PublishAot=false
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

string binary = args[0];
int clients = int.Parse(args[1]);
double ratePerClient = double.Parse(args[2]);
double seconds = double.Parse(args[3]);
int size = int.Parse(args[4]);
bool oneWay = Environment.GetEnvironmentVariable("ONEWAY") == "1";   // the app only counts: clients -> server -> app
string[] extra = args[5..];

using var echo = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
echo.SetRawSocketOption(1, 33, BitConverter.GetBytes(64 << 20));   // SO_RCVBUFFORCE (root): the echo must not be the bottleneck
echo.SendBufferSize = 8 << 20;
echo.Bind(new IPEndPoint(IPAddress.Loopback, 0));
var psi = new ProcessStartInfo(binary) { RedirectStandardError = true, UseShellExecute = false };
foreach (var a in new[] { "-l", "127.0.0.1:0", "-u", "127.0.0.1:0", "-p", echo.LocalEndPoint!.ToString()!, "--log-level", "warn" }.Concat(extra))
{
    psi.ArgumentList.Add(a);
}

// -q hides the start-up line: find the port from /proc instead of the log.
using var server = Process.Start(psi)!;
IPEndPoint? tcp = null;
for (int i = 0; i < 200 && tcp is null; i++)
{
    Thread.Sleep(25);
    tcp = ListeningPort(server.Id);
}

if (tcp is null) { Console.Error.WriteLine("no listening port"); return 1; }

long echoed = 0;
var echoThread = new Thread(() =>
{
    var buffer = new byte[65536];
    EndPoint from = new IPEndPoint(IPAddress.Any, 0);
    try
    {
        while (true)
        {
            int n = echo.ReceiveFrom(buffer, ref from);
            if (!oneWay) echo.SendTo(buffer.AsSpan(0, n), from);
            Interlocked.Increment(ref echoed);
        }
    }
    catch (SocketException) { }
    catch (ObjectDisposedException) { }
}) { IsBackground = true, Name = "echo" };
echoThread.Start();

var sockets = new Socket[clients];
long[] received = new long[clients];
long[] expected = new long[clients];
long wrongClient = 0, outOfOrder = 0;
for (int c = 0; c < clients; c++)
{
    sockets[c] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    sockets[c].Connect(tcp);
}

Thread.Sleep(500);
var readers = new Task[clients];
for (int c = 0; c < clients; c++)
{
    int id = c;
    readers[c] = Task.Run(async () =>
    {
        var buffer = new byte[1 << 20];
        int have = 0;
        try
        {
            while (true)
            {
                int n = await sockets[id].ReceiveAsync(buffer.AsMemory(have), SocketFlags.None);
                if (n == 0) return;
                have += n;
                int at = 0;
                while (have - at >= 4)
                {
                    int len = (int)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(at));
                    if (have - at < 4 + len) break;
                    int who = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(at + 4));
                    long seq = BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(at + 8));
                    if (who != id) Interlocked.Increment(ref wrongClient);
                    else
                    {
                        if (seq < expected[id]) Interlocked.Increment(ref outOfOrder);
                        expected[id] = seq + 1;
                        received[id]++;
                    }

                    at += 4 + len;
                }

                Buffer.BlockCopy(buffer, at, buffer, 0, have - at);
                have -= at;
            }
        }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
    });
}

double cpuBefore = Cpu(server.Id);
// Every millisecond, each client sends what is due for it in one TCP send (as a connect end coalesces).
long sent = 0;
long perClientTotal = (long)(ratePerClient * seconds);
var clock = Stopwatch.StartNew();
long[] nextSeq = new long[clients];
var batch = new byte[(4 + size) * 4096];
while (true)
{
    double t = clock.Elapsed.TotalSeconds;
    long duePerClient = Math.Min(perClientTotal, (long)(t * ratePerClient) + 1);
    bool done = true;
    for (int c = 0; c < clients; c++)
    {
        int count = (int)Math.Min(duePerClient - nextSeq[c], 4096);
        if (nextSeq[c] < perClientTotal) done = false;
        if (count <= 0) continue;
        int at = 0;
        for (int k = 0; k < count; k++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(batch.AsSpan(at), (uint)size);
            BinaryPrimitives.WriteInt32LittleEndian(batch.AsSpan(at + 4), c);
            BinaryPrimitives.WriteInt64LittleEndian(batch.AsSpan(at + 8), nextSeq[c]++);
            at += 4 + size;
        }

        sockets[c].Send(batch.AsSpan(0, at));
        sent += count;
    }

    if (done) break;
    Thread.Sleep(1);
}

double elapsed = clock.Elapsed.TotalSeconds;
long got = 0;
for (int wait = 0; wait < 40; wait++)
{
    Thread.Sleep(50);
    long now = oneWay ? Interlocked.Read(ref echoed) : received.Sum();
    if (now == sent) { got = now; break; }
    got = now;
}

double cpu = Cpu(server.Id) - cpuBefore;
Console.WriteLine($"echoed {Interlocked.Read(ref echoed)}; clients {clients} offered {clients * ratePerClient:0}/s sent {sent / elapsed:0}/s received {got} of {sent} lost {sent - got} ({(sent - got) * 100.0 / sent:0.000} %) wrong-client {wrongClient} out-of-order {outOfOrder} server-cpu {cpu:0.00} s = {cpu / (sent / 1e6) :0.00} s per million; server threads {Threads(server.Id)} rss {Rss(server.Id)}");
foreach (var s in sockets) s.Dispose();
Process.Start("kill", ["-USR1", server.Id.ToString()])!.WaitForExit();
Thread.Sleep(300);
server.Kill();
string log = server.StandardError.ReadToEnd();
server.WaitForExit();
Console.WriteLine(log.Split('\n').LastOrDefault(l => l.Contains("stats:")) ?? log);
return 0;

static double Cpu(int pid)
{
    var f = File.ReadAllText($"/proc/{pid}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
    return (long.Parse(f[11]) + long.Parse(f[12])) / 100.0;
}

static string Threads(int pid) => File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("Threads:"))[8..].Trim();

static string Rss(int pid) => File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:"))[6..].Trim();

static IPEndPoint? ListeningPort(int pid)
{
    var inodes = new HashSet<string>();
    foreach (var fd in Directory.GetFiles($"/proc/{pid}/fd"))
    {
        var target = new FileInfo(fd).LinkTarget ?? "";
        if (target.StartsWith("socket:[")) inodes.Add(target[8..^1]);
    }

    foreach (var line in File.ReadLines("/proc/net/tcp").Skip(1))
    {
        var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f[3] == "0A" && inodes.Contains(f[9]))
        {
            int port = Convert.ToInt32(f[1].Split(':')[1], 16);
            return new IPEndPoint(IPAddress.Loopback, port);
        }
    }

    return null;
}
