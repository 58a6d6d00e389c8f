using BenchmarkDotNet.Running;

namespace UdpOverTcp.Benchmarks;

/// <summary>dotnet run -c Release --project bench/UdpOverTcp.Benchmarks -- --filter '*'</summary>
public static class BenchmarkProgram
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(BenchmarkProgram).Assembly).Run(args);
}
