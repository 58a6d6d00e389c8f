namespace UdpOverTcp.Framing;

/// <summary>A length prefix above the configured maximum: the stream cannot be trusted any more.</summary>
public sealed class FrameTooLargeException(long length, int maxFrame)
    : Exception($"frame length {length} exceeds the maximum of {maxFrame}")
{
    public long Length { get; } = length;
    public int MaxFrame { get; } = maxFrame;
}
