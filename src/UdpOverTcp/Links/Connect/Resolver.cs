using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using UdpOverTcp.CommandLine;
using UdpOverTcp.Sockets;

namespace UdpOverTcp.Links.Connect;

/// <summary>
/// Host names to addresses, with the system's resolver (getaddrinfo: /etc/hosts, DNS, in the order it
/// sorts them, RFC 6724). Nothing is cached here: every call asks again, so a changed record is seen
/// at the next dial (only the system's own cache, e.g. nscd or systemd-resolved, may answer instead).
/// On Linux getaddrinfo is called directly: System.Net.Dns adds about 20 KB to the binary (its tracing,
/// metrics and async machinery) for the same call. Elsewhere, Dns.GetHostAddresses. The Linux builds
/// set the feature switch (UdpOverTcp.csproj), so Native AOT leaves System.Net.Dns out of them.
/// </summary>
public static unsafe partial class Resolver
{
    private const string GetAddrInfoSwitch = "UdpOverTcp.Resolver.GetAddrInfo";

    /// <summary>Call getaddrinfo (64-bit Linux's struct layout) rather than System.Net.Dns; a constant in the Linux AOT builds.</summary>
    [FeatureSwitchDefinition(GetAddrInfoSwitch)]
    private static bool UseGetAddrInfo => AppContext.TryGetSwitch(GetAddrInfoSwitch, out bool on) ? on : OperatingSystem.IsLinux();

    /// <summary>The addresses to dial for <paramref name="endpoint"/>: itself for an address, else what the name resolves to.</summary>
    /// <exception cref="ResolveException">The name does not resolve (or to no address).</exception>
    public static IPAddress[] Resolve(EndPoint endpoint)
    {
        if (endpoint is IPEndPoint ip)
        {
            return [ip.Address];
        }

        string host = ((HostNameEndPoint)endpoint).Host;
        IPAddress[] addresses;
        if (UseGetAddrInfo)
        {
            addresses = GetAddrInfo(host);
        }
        else
        {
            try
            {
                addresses = Dns.GetHostAddresses(host);
            }
            catch (SocketException e)
            {
                throw new ResolveException($"cannot resolve {host}: {e.Message}");
            }
        }

        return addresses.Length > 0 ? addresses : throw new ResolveException($"cannot resolve {host}: no address");
    }

    /// <summary>
    /// --udp-sendto given as a name, resolved once at start to an address the --udp-bind socket can
    /// send to: of its family, or either family when it is bound to [::] (dual mode).
    /// </summary>
    public static IPEndPoint ResolveForUdp(HostNameEndPoint name, IPEndPoint udpBind)
    {
        bool anyFamily = udpBind.Address.Equals(IPAddress.IPv6Any);
        foreach (var address in Resolve(name))
        {
            if (anyFamily || address.AddressFamily == udpBind.AddressFamily)
            {
                return new IPEndPoint(address, name.Port);
            }
        }

        string family = udpBind.AddressFamily == AddressFamily.InterNetwork ? "IPv4" : "IPv6";
        throw new ResolveException($"{name.Host} has no {family} address, and --udp-bind {udpBind} can only send to {family} (bind [::]:PORT for both)");
    }

    private const int SOCK_STREAM = 1;
    private const int EAI_SYSTEM = -11;

    /// <summary>struct addrinfo on 64-bit Linux (glibc and musl agree).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct AddrInfo
    {
        public int Flags;
        public int Family;
        public int SockType;
        public int Protocol;
        public uint AddrLen;
        public byte* Addr;
        public byte* CanonName;
        public AddrInfo* Next;
    }

    public static IPAddress[] GetAddrInfo(string host)
    {
        // SOCK_STREAM: one entry per address (not one per socket type). No AI_ADDRCONFIG: on a host with
        // only loopback it would hide the addresses a name in /etc/hosts gives.
        var hints = new AddrInfo { SockType = SOCK_STREAM };
        byte[] name = Encoding.UTF8.GetBytes(host + "\0");
        AddrInfo* list = null;
        int error;
        fixed (byte* node = name)
        {
            error = getaddrinfo(node, null, &hints, &list);
        }

        if (error != 0)
        {
            string reason = error == EAI_SYSTEM
                ? new SocketException(Marshal.GetLastPInvokeError()).Message
                : Marshal.PtrToStringUTF8((nint)gai_strerror(error)) ?? $"error {error}";
            throw new ResolveException($"cannot resolve {host}: {reason}");
        }

        try
        {
            var addresses = new List<IPAddress>();
            for (var entry = list; entry != null; entry = entry->Next)
            {
                var address = SocketAddressBytes.ReadAddress(entry->Family, entry->Addr, entry->AddrLen);
                if (address is not null && !addresses.Contains(address))
                {
                    addresses.Add(address);
                }
            }

            return [.. addresses];
        }
        finally
        {
            freeaddrinfo(list);
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getaddrinfo(byte* node, byte* service, AddrInfo* hints, AddrInfo** result);

    [LibraryImport("libc")]
    private static partial void freeaddrinfo(AddrInfo* list);

    [LibraryImport("libc")]
    private static partial byte* gai_strerror(int error);
}

/// <summary>A host name that did not resolve; the message says which and why, for one log line.</summary>
public sealed class ResolveException(string message) : Exception(message);
