using Xunit.Abstractions;
using Xunit.Sdk;

namespace UdpOverTcp.Tests.Support;

/// <summary>
/// The tiers every test class is in, as the trait "Tier", so a lane can pick them with
/// <c>dotnet test --filter</c>: <c>Tier=Unit</c> is the quick lane. Every test class has exactly one
/// (<c>TierTests</c> fails otherwise); a class that needs root says so too, with <see cref="NeedsRootAttribute"/>,
/// and one that needs Linux with <see cref="NeedsLinuxAttribute"/>: the other OSes' lane is
/// <c>Tier=Unit&amp;Requires!=linux</c>.
/// </summary>
public static class Tier
{
    public const string Trait = "Tier";

    /// <summary>No sockets and no processes: code, files, the clock.</summary>
    public const string Unit = "Unit";

    /// <summary>Real sockets (and tunnels) inside the test process.</summary>
    public const string InProcess = "InProcess";

    /// <summary>Runs the published binaries, or other programs (ssh, udptunnel, ip, a shell) as peers.</summary>
    public const string EndToEnd = "EndToEnd";

    /// <summary>End to end for minutes: a million datagrams each way.</summary>
    public const string Soak = "Soak";

    public static readonly IReadOnlyList<string> All = [Unit, InProcess, EndToEnd, Soak];
}

/// <summary>A trait attribute whose name and value come with its type: <c>[UnitTest]</c> rather than <c>[Trait("Tier", "Unit")]</c>.</summary>
public abstract class FixedTraitAttribute(string name, string value) : Attribute, ITraitAttribute
{
    public string Name { get; } = name;

    public string Value { get; } = value;
}

/// <summary>Tier=Unit: no sockets, no processes.</summary>
[TraitDiscoverer(FixedTraitDiscoverer.TypeName, FixedTraitDiscoverer.AssemblyName)]
[AttributeUsage(AttributeTargets.Class)]
public sealed class UnitTestAttribute() : FixedTraitAttribute(Tier.Trait, Tier.Unit);

/// <summary>Tier=InProcess: real sockets in the test process.</summary>
[TraitDiscoverer(FixedTraitDiscoverer.TypeName, FixedTraitDiscoverer.AssemblyName)]
[AttributeUsage(AttributeTargets.Class)]
public sealed class InProcessTestAttribute() : FixedTraitAttribute(Tier.Trait, Tier.InProcess);

/// <summary>Tier=EndToEnd: the published binaries, or other programs.</summary>
[TraitDiscoverer(FixedTraitDiscoverer.TypeName, FixedTraitDiscoverer.AssemblyName)]
[AttributeUsage(AttributeTargets.Class)]
public sealed class EndToEndTestAttribute() : FixedTraitAttribute(Tier.Trait, Tier.EndToEnd);

/// <summary>Tier=Soak: end to end for minutes.</summary>
[TraitDiscoverer(FixedTraitDiscoverer.TypeName, FixedTraitDiscoverer.AssemblyName)]
[AttributeUsage(AttributeTargets.Class)]
public sealed class SoakTestAttribute() : FixedTraitAttribute(Tier.Trait, Tier.Soak);

/// <summary>
/// Requires=root: the test (or every test of the class) needs root — network namespaces, nftables,
/// sshd, chroot, CAP_NET_ADMIN, or setpriv to take a capability away — and skips, saying so, without it.
/// </summary>
[TraitDiscoverer(FixedTraitDiscoverer.TypeName, FixedTraitDiscoverer.AssemblyName)]
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class NeedsRootAttribute() : FixedTraitAttribute("Requires", "root");

/// <summary>
/// Requires=linux: the test (or every test of the class) needs Linux — its system calls and structs
/// (recvmmsg, GSO/GRO, TCP_INFO), getaddrinfo as the Linux build calls it, or the batched data path — so
/// the Windows and macOS lane leaves it out. Every class in a <c>Linux</c> folder has it (<c>TierTests</c>).
/// </summary>
[TraitDiscoverer(FixedTraitDiscoverer.TypeName, FixedTraitDiscoverer.AssemblyName)]
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class NeedsLinuxAttribute() : FixedTraitAttribute("Requires", "linux");

/// <summary>xunit v2's way from a trait attribute to its name and value.</summary>
public sealed class FixedTraitDiscoverer : ITraitDiscoverer
{
    public const string TypeName = "UdpOverTcp.Tests.Support.FixedTraitDiscoverer";
    public const string AssemblyName = "UdpOverTcp.Tests";

    public IEnumerable<KeyValuePair<string, string>> GetTraits(IAttributeInfo traitAttribute) =>
        traitAttribute is IReflectionAttributeInfo { Attribute: FixedTraitAttribute fixedTrait }
            ? [new(fixedTrait.Name, fixedTrait.Value)]
            : [];
}
