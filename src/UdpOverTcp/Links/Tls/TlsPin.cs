namespace UdpOverTcp.Links.Tls;

/// <summary>
/// A pinned SHA-256 (<c>--tls-pin sha256:HEX</c>), checked in place of CA verification, for self-signed
/// servers. It may be either the certificate's DER hash (what <c>openssl x509 -fingerprint -sha256</c>
/// prints) or its SubjectPublicKeyInfo's (what HPKP and curl's --pinnedpubkey use, and what survives a
/// renewal with the same key): the two hash different bytes, so they cannot collide, and the peer matches
/// when either of its two hashes equals the pin.
/// </summary>
public sealed class TlsPin
{
    private const string Prefix = "sha256:";

    private readonly byte[] _hash;

    private TlsPin(byte[] hash) => _hash = hash;

    /// <summary>Parses <c>sha256:</c> and 64 hex digits (colons between bytes allowed, as fingerprints print them).</summary>
    public static TlsPin Parse(string text)
    {
        if (!text.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"'{text}' is not a pin: expected sha256: and 64 hex digits");
        }

        string hex = text[Prefix.Length..].Replace(":", "", StringComparison.Ordinal);
        byte[] hash;
        try
        {
            hash = Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            throw new FormatException($"'{text}' is not a pin: expected sha256: and 64 hex digits");
        }

        return hash.Length == OpenSsl.Sha256Length ? new TlsPin(hash)
            : throw new FormatException($"'{text}' is not a pin: a SHA-256 is 64 hex digits, not {hex.Length}");
    }

    /// <summary>Whether the certificate's hash or its public key's hash is the pinned one.</summary>
    public bool Matches(ReadOnlySpan<byte> certificateSha256, ReadOnlySpan<byte> publicKeySha256) =>
        certificateSha256.SequenceEqual(_hash) || publicKeySha256.SequenceEqual(_hash);

    /// <summary>The text form of a hash: <c>sha256:</c> and lowercase hex.</summary>
    public static string Format(ReadOnlySpan<byte> sha256) => Prefix + Convert.ToHexStringLower(sha256);

    public override string ToString() => Format(_hash);
}
