namespace UdpOverTcp.Links.Tls;

/// <summary>A TLS failure, with a one-line reason for the log ("certificate verify failed: hostname mismatch").</summary>
public sealed class TlsException(string message) : Exception(message);
