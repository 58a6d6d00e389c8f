
namespace UdpOverTcp.CommandLine;

/// <summary>
/// One row of an option table: how the option is spelled, what it takes, what it does to the
/// options object, and its help line. Parsing and <c>--help</c> both read the same rows.
/// </summary>
/// <param name="Long">Long name without dashes, e.g. <c>tcp-listen</c>.</param>
/// <param name="Short">Short letter, or <c>null</c>.</param>
/// <param name="ValueName">Placeholder for the value (e.g. <c>ADDR</c>), or <c>null</c> for a flag.</param>
/// <param name="Help">One line of help.</param>
/// <param name="Apply">
/// Stores the value (null for a flag); throws <see cref="UsageException"/> on a bad value. An option
/// with several values (<see cref="ValueCount"/>) has it called once per value, in order.
/// </param>
public sealed record OptionSpec<T>(string Long, char? Short, string? ValueName, string Help, Action<T, string?> Apply)
{
    public bool TakesValue => ValueName is not null;

    /// <summary>The heading this row is listed under in <c>--help</c>; rows of a group sit together in the table.</summary>
    public string? Group { get; init; }

    /// <summary>May be given more than once (each occurrence applied in turn), e.g. <c>-l</c> twice or <c>-vv</c>.</summary>
    public bool Repeatable { get; init; }

    /// <summary>How many arguments follow the option, e.g. 2 for <c>--external SEND_ADDR RECV_ADDR</c>.</summary>
    public int ValueCount { get; init; } = 1;

    /// <summary>How the option is shown in messages: <c>--tcp-listen</c>.</summary>
    public string Display => "--" + Long;

    /// <summary>
    /// <see cref="Display"/>: nothing prints a row, and the record's listing of its members would bring
    /// their formatting into the binary.
    /// </summary>
    public override string ToString() => Display;
}
