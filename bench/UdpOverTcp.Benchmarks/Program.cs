using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/UdpOverTcp.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
