namespace UdpOverTcp.Links.Tls;

/// <summary>The SHA-256 hashes of the peer's certificate (DER) and of its SubjectPublicKeyInfo (DER), for pinning.</summary>
public static unsafe class PeerCertificate
{
    /// <summary>Fills both hashes; false when the peer sent no certificate.</summary>
    public static bool TryHash(SafeSslHandle ssl, Span<byte> certificateSha256, Span<byte> publicKeySha256)
    {
        using SafeX509Handle certificate = OpenSsl.SSL_get1_peer_certificate(ssl);
        if (certificate.IsInvalid)
        {
            return false;
        }

        int length = OpenSsl.i2d_X509(certificate, null);
        HashDer(length, certificateSha256, buffer => OpenSsl.i2d_X509(certificate, &buffer));
        nint publicKey = OpenSsl.X509_get_X509_PUBKEY(certificate);
        HashDer(OpenSsl.i2d_X509_PUBKEY(publicKey, null), publicKeySha256, buffer => OpenSsl.i2d_X509_PUBKEY(publicKey, &buffer));
        return true;
    }

    private delegate int Encoder(byte* buffer);

    /// <summary>Encodes into a buffer of the length the encoder reported, then hashes it (once per handshake: an array is fine here).</summary>
    private static void HashDer(int length, Span<byte> sha256, Encoder encode)
    {
        if (length <= 0)
        {
            throw new TlsException("cannot read the peer's certificate: " + OpenSslErrors.TakeReason("DER encoding failed"));
        }

        byte[] der = new byte[length];
        fixed (byte* start = der)
        fixed (byte* digest = sha256)
        {
            if (encode(start) != length
                || OpenSsl.EVP_Digest(start, (nuint)length, digest, out uint digestLength, OpenSsl.EVP_sha256(), 0) != 1
                || digestLength != OpenSsl.Sha256Length)
            {
                throw new TlsException("cannot hash the peer's certificate: " + OpenSslErrors.TakeReason("digest failed"));
            }
        }
    }
}
