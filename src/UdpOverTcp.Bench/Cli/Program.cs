using UdpOverTcp.CommandLine;

namespace UdpOverTcp.Bench.Cli;

/// <summary>
/// udp-over-tcp-bench: parse, run, map the outcome to an exit code. Synchronous: the whole bench runs
/// on the main thread (the trials have threads of their own).
/// </summary>
public static class Program
{
    private static int Main(string[] args)
    {
        try
        {
            var options = BenchOptions.Parse(args);
            if (options.ShowHelp)
            {
                Console.Out.Write(BenchHelp.Text());
                return ExitCodes.Ok;
            }

            if (options.ShowVersion)
            {
                Console.Out.WriteLine($"udp-over-tcp-bench {BuildVersion.Value}");
                return ExitCodes.Ok;
            }

            using var stop = new SignalStop();
            return BenchCommand.Run(options, Console.Out, stop.Token);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"udp-over-tcp-bench: {e.Message}");
            Console.Error.WriteLine("Try 'udp-over-tcp-bench --help' for more information.");
            return ExitCodes.Usage;
        }
    }
}
