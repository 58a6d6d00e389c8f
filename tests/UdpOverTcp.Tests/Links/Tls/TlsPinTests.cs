using UdpOverTcp.Links.Tls;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Links.Tls;

/// <summary>--tls-pin's text form, and that either of the peer's two hashes matches it.</summary>
[UnitTest]
public sealed class TlsPinTests
{
    private static readonly byte[] Hash = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] Other = new byte[32];

    [Theory]
    [InlineData("sha256:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")]
    [InlineData("SHA256:000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F")]
    [InlineData("sha256:00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F")]
    public void Parses_hex_in_either_case_with_or_without_fingerprint_colons(string text)
    {
        var pin = TlsPin.Parse(text);

        Assert.Equal("sha256:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", pin.ToString());
    }

    [Theory]
    [InlineData("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "expected sha256: and 64 hex digits")]
    [InlineData("sha256:zz", "expected sha256: and 64 hex digits")]
    [InlineData("sha256:0001", "a SHA-256 is 64 hex digits, not 4")]
    public void Refuses_what_is_not_a_sha256(string text, string reason)
    {
        var error = Assert.Throws<FormatException>(() => TlsPin.Parse(text));

        Assert.EndsWith(reason, error.Message);
    }

    [Fact]
    public void Matches_the_certificate_s_hash_or_the_public_key_s_and_nothing_else()
    {
        var pin = TlsPin.Parse(TlsPin.Format(Hash));

        Assert.True(pin.Matches(Hash, Other));
        Assert.True(pin.Matches(Other, Hash));
        Assert.False(pin.Matches(Other, Other));
    }
}
