using BenchmarkDotNet.Running;

namespace UdpOverTcp.MicroBenchmarks;

/// <summary>dotnet run -c Release --project bench/UdpOverTcp.MicroBenchmarks -- --filter '*'</summary>
public static class BenchmarkProgram
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(BenchmarkProgram).Assembly).Run(args);
}
