using System.Reflection;
using UdpOverTcp.Tests.Support;
using Xunit.Sdk;

namespace UdpOverTcp.Tests;

/// <summary>The tiers (<see cref="Tier"/>) hold for every test class, so a --filter on them misses nothing.</summary>
[UnitTest]
public class TierTests
{
    private static readonly Type[] TestClasses = [.. typeof(TierTests).Assembly.GetTypes()
        .Where(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static).Any(m => m.IsDefined(typeof(FactAttribute), inherit: true)))
        .OrderBy(t => t.FullName, StringComparer.Ordinal)];

    [Fact]
    public void Every_test_class_is_in_exactly_one_tier()
    {
        Assert.True(TestClasses.Length >= 40, $"found only {TestClasses.Length} test classes: the search is broken");
        var wrong = TestClasses
            .Select(c => (Class: c, Tiers: TraitValues(c, Tier.Trait)))
            .Where(x => x.Tiers.Count != 1 || !Tier.All.Contains(x.Tiers[0]))
            .Select(x => $"{x.Class.FullName}: {(x.Tiers.Count == 0 ? "no tier" : string.Join(", ", x.Tiers))}")
            .ToList();

        Assert.True(wrong.Count == 0, "give each test class one of [UnitTest], [InProcessTest], [EndToEndTest], [SoakTest]:\n" + string.Join('\n', wrong));
    }

    [Fact]
    public void No_test_method_changes_its_classs_tier()
    {
        var wrong = TestClasses
            .SelectMany(c => c.GetMethods().Where(m => TraitValues(m, Tier.Trait).Count > 0).Select(m => $"{c.FullName}.{m.Name}"))
            .ToList();

        Assert.True(wrong.Count == 0, "a tier is a class's, not a method's:\n" + string.Join('\n', wrong));
    }

    [Fact]
    public void The_folders_agree_with_the_tiers()
    {
        foreach (var c in TestClasses)
        {
            // A class without exactly one tier is the first test's failure.
            string tier = string.Join(", ", TraitValues(c, Tier.Trait));
            if (c.Namespace == "UdpOverTcp.Tests.E2E")
            {
                Assert.True(tier is Tier.EndToEnd or Tier.Soak, $"{c.FullName} is in E2E but Tier={tier}");
            }
            else if (c.Namespace == "UdpOverTcp.Tests.Integration")
            {
                Assert.True(tier == Tier.InProcess, $"{c.FullName} is in Integration but Tier={tier}");
            }

            // The Windows and macOS lane (Tier=Unit&Requires!=linux) must not pick it up.
            if (c.Namespace?.EndsWith(".Linux", StringComparison.Ordinal) == true)
            {
                Assert.True(TraitValues(c, "Requires").Contains("linux"), $"{c.FullName} is in a Linux folder but has no [NeedsLinux]");
            }
        }
    }

    [Fact]
    public void Xunit_reads_the_tier_attributes_as_traits()
    {
        // As xunit's discovery does: the attribute's data on a class, wrapped, given to the discoverer it names.
        Assert.Equal([new("Tier", "Unit")], TraitsOf<UnitTestAttribute>(typeof(TierTests)));
        Assert.Equal([new("Tier", "Soak")], TraitsOf<SoakTestAttribute>(typeof(E2E.SoakTests)));
        Assert.Equal([new("Requires", "root")], TraitsOf<NeedsRootAttribute>(typeof(E2E.HalfOpenLinkTests)));
        Assert.Equal([new("Requires", "linux")], TraitsOf<NeedsLinuxAttribute>(typeof(DataPath.Linux.GroRunTests)));
    }

    private static IEnumerable<KeyValuePair<string, string>> TraitsOf<TAttribute>(Type type)
    {
        var named = typeof(TAttribute).GetCustomAttribute<TraitDiscovererAttribute>();
        Assert.NotNull(named);
        var data = type.GetCustomAttributesData().Single(a => a.AttributeType == typeof(TAttribute));
        return new FixedTraitDiscoverer().GetTraits(Reflector.Wrap(data));
    }

    /// <summary>The values of trait <paramref name="name"/> on a class or method: from the attributes here, or a plain [Trait].</summary>
    private static List<string> TraitValues(MemberInfo member, string name) =>
    [
        .. member.GetCustomAttributes<FixedTraitAttribute>(inherit: true).Where(a => a.Name == name).Select(a => a.Value),
        .. member.GetCustomAttributesData()
            .Where(a => a.AttributeType == typeof(TraitAttribute) && (string?)a.ConstructorArguments[0].Value == name)
            .Select(a => (string)a.ConstructorArguments[1].Value!),
    ];
}
