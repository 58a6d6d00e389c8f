using System.Runtime.InteropServices;

namespace UdpOverTcp.Links.Tls;

/// <summary>One line out of OpenSSL's per-thread error queue, which is emptied on the way.</summary>
public static unsafe class OpenSslErrors
{
    /// <summary>The first queued error's reason ("wrong version number"), or <paramref name="fallback"/> when the queue is empty; the queue is left empty.</summary>
    public static string TakeReason(string fallback)
    {
        nuint first = OpenSsl.ERR_get_error();
        OpenSsl.ERR_clear_error();
        if (first == 0)
        {
            return fallback;
        }

        nint reason = OpenSsl.ERR_reason_error_string(first);
        if (reason != 0)
        {
            return Marshal.PtrToStringUTF8(reason)!;
        }

        byte* text = stackalloc byte[256];   // "error:0A00010B:SSL routines::..." when the reason has no string
        OpenSsl.ERR_error_string_n(first, text, 256);
        return Marshal.PtrToStringUTF8((nint)text)!;
    }

    /// <summary>X509_verify_cert_error_string: "certificate has expired", "hostname mismatch", "unable to get local issuer certificate".</summary>
    public static string VerifyReason(long result) =>
        Marshal.PtrToStringUTF8(OpenSsl.X509_verify_cert_error_string(result)) ?? $"verify error {result}";
}
