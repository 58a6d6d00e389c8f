namespace UdpOverTcp.Links.Connect.Proxy;

/// <summary>The proxy refused, or answered something this client cannot use; the message is one log line's reason.</summary>
public sealed class ProxyException(string message) : Exception(message);
