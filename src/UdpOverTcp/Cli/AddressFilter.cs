using System.Net;
using UdpOverTcp.CommandLine;

namespace UdpOverTcp.Cli;

/// <summary>The --tcp-allow list: which peer addresses may connect. Empty allows everyone.</summary>
public sealed class AddressFilter
{
    private readonly IPNetwork[] _networks;

    public AddressFilter(IPNetwork[] networks) => _networks = networks;

    public static AddressFilter Everyone { get; } = new([]);

    public bool IsEmpty => _networks.Length == 0;

    public IReadOnlyList<IPNetwork> Networks => _networks;

    /// <summary>Parses CIDR[,CIDR...]; a bare address means just that address (/32 or /128).</summary>
    public static AddressFilter Parse(string option, string value)
    {
        var parts = value.Split(',');
        var networks = new IPNetwork[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            string part = parts[i];
            if (IPNetwork.TryParse(part, out var network))
            {
                networks[i] = network;
            }
            else if (!part.Contains('/') && IPAddress.TryParse(part, out var address) && part.AsSpan().Count('.') is 0 or 3)
            {
                networks[i] = new IPNetwork(address, address.GetAddressBytes().Length * 8);
            }
            else
            {
                throw new UsageException($"{option}: '{part}' is not an address or CIDR range (e.g. 192.0.2.0/24, ::1)");
            }
        }

        return new AddressFilter(networks);
    }

    public bool Allows(IPAddress address)
    {
        // A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d.
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (var network in _networks)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }
}
