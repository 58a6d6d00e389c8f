using System.Net;
using UdpOverTcp.Bench.Cli;
using UdpOverTcp.Bench.Link;
using UdpOverTcp.CommandLine;
using UdpOverTcp.Sockets;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Cli;

[UnitTest]
public class BenchOptionsTests
{
    [Fact]
    public void Defaults_search_two_sizes_with_half_second_trials_on_spawned_tunnels()
    {
        var o = BenchOptions.Parse([]);
        Assert.Equal(0.5, o.DurationSeconds);
        Assert.Equal([64, 1200], o.Sizes);
        Assert.Null(o.Rate);
        Assert.False(o.Json);
        Assert.Null(o.DataPath);
        Assert.False(o.IsExternal);
        Assert.Null(o.ExternalReceiveOn);
        Assert.False(o.Verbose);
        Assert.False(o.ShowHelp);
        Assert.False(o.ShowVersion);
        Assert.Null(o.TunnelPath);
        Assert.Empty(o.TunnelArgs);
    }

    [Fact]
    public void Every_option_is_settable()
    {
        var o = BenchOptions.Parse(["--size", "8,1400,65507", "-d", "0.5", "--rate", "2000", "--json", "--io", "portable", "-v", "--tunnel", "/opt/uot/udp-over-tcp"]);
        Assert.Equal([8, 1400, 65507], o.Sizes);
        Assert.Equal(0.5, o.DurationSeconds);
        Assert.Equal(2000, o.Rate);
        Assert.True(o.Json);
        Assert.Equal(UdpDataPath.Portable, o.DataPath);
        Assert.True(o.Verbose);
        Assert.Equal("/opt/uot/udp-over-tcp", o.TunnelPath);
    }

    [Theory]
    [InlineData("--tunnel-args", "--queue-delay 0")]
    [InlineData("--tunnel-args=--queue-delay 0")]
    [InlineData("--tunnel-args", "  --queue-delay\t 0 ")]
    public void Tunnel_args_are_split_at_white_space(params string[] args)
    {
        Assert.Equal(["--queue-delay", "0"], BenchOptions.Parse(args).TunnelArgs);
    }

    [Fact]
    public void Link_defaults_to_one_1200_byte_size_and_10_second_trials()
    {
        var o = BenchOptions.Parse(["--link", "20mbit"]);
        Assert.Equal(new LinkRate("20mbit", 20_000_000), o.Link);
        Assert.Equal([1200], o.Sizes);
        Assert.Equal(10, o.DurationSeconds);
        Assert.Null(BenchOptions.Parse([]).Link);
    }

    [Fact]
    public void Link_takes_a_size_a_duration_and_the_tunnels_options()
    {
        var o = BenchOptions.Parse(["--link", "500kbit", "--size", "16", "-d", "3", "--json", "-v", "--io", "portable", "--tunnel", "/t", "--tunnel-args", "--queue-delay 0"]);
        Assert.Equal(new LinkRate("500kbit", 500_000), o.Link);
        Assert.Equal([16], o.Sizes);
        Assert.Equal(3, o.DurationSeconds);
        Assert.Equal(["--queue-delay", "0"], o.TunnelArgs);
    }

    [Theory]
    [InlineData("20mbit", 20_000_000)]
    [InlineData("2mbit", 2_000_000)]
    [InlineData("500kbit", 500_000)]
    [InlineData("1.5mbit", 1_500_000)]
    [InlineData("20Mbit", 20_000_000)]
    [InlineData("100kbit", 100_000)]
    [InlineData("1gbit", 1_000_000_000)]
    public void Link_rates_are_written_as_tc_writes_them(string text, long bitsPerSecond)
    {
        var rate = LinkRate.Parse(text);
        Assert.Equal(bitsPerSecond, rate.BitsPerSecond);
        Assert.Equal(text.ToLowerInvariant(), rate.Text);
    }

    [Theory]
    [InlineData("-s64", "-r5", "-d1")]
    [InlineData("--size=64", "--rate=5", "--duration=1")]
    [InlineData("-s", "64", "-r", "5", "-d", "1")]
    public void Short_long_and_inline_spellings_mean_the_same(params string[] args)
    {
        var o = BenchOptions.Parse(args);
        Assert.Equal([64], o.Sizes);
        Assert.Equal(5, o.Rate);
        Assert.Equal(1, o.DurationSeconds);
    }

    [Fact]
    public void Batched_io_is_accepted_on_linux_only()
    {
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(UdpDataPath.Batched, BenchOptions.Parse(["--io", "batched"]).DataPath);
        }
        else
        {
            Assert.Equal("--io batched needs Linux (recvmmsg/sendmmsg)", Assert.Throws<UsageException>(() => BenchOptions.Parse(["--io", "batched"])).Message);
        }
    }

    [Theory]
    [InlineData("-h")]
    [InlineData("--help")]
    public void Help(string flag) => Assert.True(BenchOptions.Parse([flag]).ShowHelp);

    [Theory]
    [InlineData("-V")]
    [InlineData("--version")]
    public void Version(string flag) => Assert.True(BenchOptions.Parse([flag]).ShowVersion);

    [Fact]
    public void External_takes_two_addresses_send_then_receive()
    {
        var o = BenchOptions.Parse(["--external", "127.0.0.1:7002", "7000", "--json"]);
        Assert.True(o.IsExternal);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 7002), o.ExternalSendTo);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 7000), o.ExternalReceiveOn);
        Assert.True(o.Json);
    }

    [Fact]
    public void External_inline_form_gives_the_first_address()
    {
        var o = BenchOptions.Parse(["--external=[::1]:7002", "[::1]:7000"]);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 7002), o.ExternalSendTo);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 7000), o.ExternalReceiveOn);
    }

    [Fact]
    public void External_may_receive_on_any_local_address_for_a_far_end_on_another_host()
    {
        Assert.Equal(new IPEndPoint(IPAddress.Any, 7000), BenchOptions.Parse(["--external", "127.0.0.2:7002", "0.0.0.0:7000"]).ExternalReceiveOn);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Any, 7000), BenchOptions.Parse(["--external", "127.0.0.1:7002", "[::]:7000"]).ExternalReceiveOn);
    }

    [Fact]
    public void Clients_takes_a_count_from_2_to_1000_and_is_off_by_default()
    {
        Assert.Null(BenchOptions.Parse([]).Clients);
        Assert.Equal(2, BenchOptions.Parse(["--clients", "2"]).Clients);
        var o = BenchOptions.Parse(["--clients=1000", "--size", "64,1200", "--rate", "5000", "--tunnel-args", "--queue-delay 0"]);
        Assert.Equal(1000, o.Clients);
        Assert.Equal([64, 1200], o.Sizes);
        Assert.Equal(["--queue-delay", "0"], o.TunnelArgs);
    }

    [Theory]
    [InlineData("--clients: '1' is not a number of clients from 2 to 1000", "--clients", "1")]
    [InlineData("--clients: '0' is not a number of clients from 2 to 1000", "--clients", "0")]
    [InlineData("--clients: '1001' is not a number of clients from 2 to 1000", "--clients", "1001")]
    [InlineData("--clients: 'x' is not a number of clients from 2 to 1000", "--clients", "x")]
    [InlineData("--clients: '-4' is not a number of clients from 2 to 1000", "--clients", "-4")]
    [InlineData("--clients needs a value (N)", "--clients")]
    [InlineData("--clients runs on loopback; it does not go with --link", "--clients", "4", "--link", "20mbit")]
    [InlineData("--clients runs on loopback; it does not go with --link", "--link", "20mbit", "--clients", "4")]
    [InlineData("--clients starts its own tunnels; it does not go with --external", "--clients", "4", "--external", "7002", "7000")]
    [InlineData("--clients 100 with --size 65507: the generator would hold 399 MiB of buffers; keep clients times size at most 4096 KiB", "--clients", "100", "--size", "64,65507")]
    public void Clients_usage_errors(string message, params string[] args)
    {
        Assert.Equal(message, Assert.Throws<UsageException>(() => BenchOptions.Parse(args)).Message);
    }

    [Theory]
    [InlineData("--size: '7' is not a size from 8 to 65507", "--size", "7")]
    [InlineData("--size: '65508' is not a size from 8 to 65507", "--size", "64,65508")]
    [InlineData("--size: '' is not a size from 8 to 65507", "--size", "64,")]
    [InlineData("--size: 'x' is not a size from 8 to 65507", "-s", "x")]
    [InlineData("--size needs a value (LIST)", "--size")]
    [InlineData("--duration: '0' is not a number of seconds from 0.1 to 60", "--duration", "0")]
    [InlineData("--duration: 'x' is not a number of seconds from 0.1 to 60", "-d", "x")]
    [InlineData("--duration: '61' is not a number of seconds from 0.1 to 60", "-d", "61")]
    [InlineData("--duration: '-1' is not a number of seconds from 0.1 to 60", "-d", "-1")]
    [InlineData("--rate: '0' is not a number of datagrams per second from 1 to 10000000", "--rate", "0")]
    [InlineData("--rate: '10000001' is not a number of datagrams per second from 1 to 10000000", "--rate", "10000001")]
    [InlineData("--rate: '1.5' is not a number of datagrams per second from 1 to 10000000", "-r", "1.5")]
    [InlineData("--rate: '1k' is not a number of datagrams per second from 1 to 10000000", "-r", "1k")]
    [InlineData("--rate needs a value (N)", "--rate")]
    [InlineData("--json takes no value", "--json=yes")]
    [InlineData("--io: 'fast' is not portable or batched", "--io", "fast")]
    [InlineData("--io: 'auto' is not portable or batched", "--io", "auto")]
    [InlineData("--external needs 2 values (SEND_ADDR RECV_ADDR)", "--external", "7002")]
    [InlineData("--external needs 2 values (SEND_ADDR RECV_ADDR)", "--external")]
    [InlineData("--external: SEND_ADDR '10.0.0.1:7002' must be a loopback address (127.0.0.0/8 or [::1])", "--external", "10.0.0.1:7002", "7000")]
    [InlineData("--external: SEND_ADDR '0.0.0.0:7002' must be a loopback address (127.0.0.0/8 or [::1])", "--external", "0.0.0.0:7002", "7000")]
    [InlineData("--external: port 0 is not a destination", "--external", "0", "7000")]
    [InlineData("--tls gives the tunnels the bench starts a throwaway certificate; with --external it starts none (give yours --tls-cert and https:// where you start them)", "--tls", "--external", "7002", "7000")]
    [InlineData("--external: port 0 is not a destination", "--external", "7002", "0")]
    [InlineData("--external: 'x' is not an IP address (IPv6 is written [::1]:PORT)", "--external", "7002", "x:1")]
    [InlineData("--external: 'localhost' is not PORT, ADDR:PORT or [IPv6]:PORT", "--external", "localhost", "7000")]
    [InlineData("--external: SEND_ADDR and RECV_ADDR must both be IPv4 or both IPv6 (or RECV_ADDR [::]:PORT)", "--external", "[::1]:7002", "127.0.0.1:7000")]
    [InlineData("--external: SEND_ADDR and RECV_ADDR must both be IPv4 or both IPv6 (or RECV_ADDR [::]:PORT)", "--external", "7002", "[::1]:7000")]
    [InlineData("--io applies to the tunnels the bench starts; with --external, set UDP_OVER_TCP_IO where you start yours", "--external", "7002", "7000", "--io", "portable")]
    [InlineData("--tunnel names the binary the bench starts; with --external it starts none", "--external", "7002", "7000", "--tunnel", "/bin/true")]
    [InlineData("--tunnel needs a value (PATH)", "--tunnel")]
    [InlineData("--tunnel-args are for the tunnels the bench starts; with --external, give them where you start yours", "--external", "7002", "7000", "--tunnel-args", "-q")]
    [InlineData("--tunnel-args needs a value (\"ARGS\")", "--tunnel-args")]
    [InlineData("--rate given more than once", "--rate", "5", "-r", "6")]
    [InlineData("--link: '20' is not a rate from 100kbit to 1gbit, like 20mbit, 500kbit or 1.5mbit", "--link", "20")]
    [InlineData("--link: '20mb' is not a rate from 100kbit to 1gbit, like 20mbit, 500kbit or 1.5mbit", "--link", "20mb")]
    [InlineData("--link: 'mbit' is not a rate from 100kbit to 1gbit, like 20mbit, 500kbit or 1.5mbit", "--link", "mbit")]
    [InlineData("--link: '-1mbit' is not a rate from 100kbit to 1gbit, like 20mbit, 500kbit or 1.5mbit", "--link", "-1mbit")]
    [InlineData("--link: '99kbit' is not a rate from 100kbit to 1gbit, like 20mbit, 500kbit or 1.5mbit", "--link", "99kbit")]
    [InlineData("--link: '2gbit' is not a rate from 100kbit to 1gbit, like 20mbit, 500kbit or 1.5mbit", "--link", "2gbit")]
    [InlineData("--link needs a value (RATE)", "--link")]
    [InlineData("--link takes one --size, from 16 to 65507 (each datagram carries its send time)", "--link", "20mbit", "--size", "64,1200")]
    [InlineData("--link takes one --size, from 16 to 65507 (each datagram carries its send time)", "--link", "20mbit", "--size", "15")]
    [InlineData("--link offers 0.8, 1.2 and 2 times the link's rate; it does not go with --rate", "--link", "20mbit", "--rate", "1000")]
    [InlineData("--link measures tunnels the bench starts across the link it builds; it does not go with --external", "--link", "20mbit", "--external", "7002", "7000")]
    [InlineData("unknown option '--bogus'", "--bogus")]
    [InlineData("unknown option '-x'", "-x")]
    [InlineData("unexpected argument '64'", "64")]
    public void Usage_errors(string message, params string[] args)
    {
        Assert.Equal(message, Assert.Throws<UsageException>(() => BenchOptions.Parse(args)).Message);
    }

    [Fact]
    public void Link_has_no_delay_line_and_the_steady_workload_by_default()
    {
        var o = BenchOptions.Parse(["--link", "20mbit"]);
        Assert.Equal(0, o.DelayMilliseconds);
        Assert.Equal(0, o.LossFraction);
        Assert.Null(o.Seed);
        Assert.False(o.HasDelayLine);
        Assert.Equal(LinkWorkload.Steady, o.Workload);
        Assert.Null(o.Loads);
    }

    [Theory]
    [InlineData("25ms", 25)]
    [InlineData("25", 25)]
    [InlineData("0.5ms", 0.5)]
    [InlineData("0ms", 0)]
    [InlineData("1000ms", 1000)]
    public void Delay_is_one_way_in_milliseconds(string value, double milliseconds)
    {
        var o = BenchOptions.Parse(["--link", "20mbit", "--delay", value]);
        Assert.Equal(milliseconds, o.DelayMilliseconds);
        Assert.Equal(milliseconds > 0, o.HasDelayLine);
    }

    [Theory]
    [InlineData("0.5%", 0.005)]
    [InlineData("10", 0.1)]
    [InlineData("50%", 0.5)]
    [InlineData("0%", 0)]
    public void Loss_is_a_percentage_each_way(string value, double fraction)
    {
        var o = BenchOptions.Parse(["--link", "20mbit", "--loss", value]);
        Assert.Equal(fraction, o.LossFraction, 12);
        Assert.Equal(fraction > 0, o.HasDelayLine);
    }

    [Fact]
    public void Delay_loss_seed_workload_and_loads_go_together()
    {
        var o = BenchOptions.Parse(["--link", "20mbit", "--delay", "25ms", "--loss", "0.5%", "--seed", "42", "--workload", "mixed", "--loads", "0.2,0.5"]);
        Assert.Equal(25, o.DelayMilliseconds);
        Assert.Equal(0.005, o.LossFraction, 12);
        Assert.Equal(42, o.Seed);
        Assert.Equal(LinkWorkload.Mixed, o.Workload);
        Assert.Equal([0.2, 0.5], o.Loads);
        Assert.Equal(10, o.DurationSeconds);
    }

    [Fact]
    public void Bursts_run_30_second_trials_unless_told_otherwise()
    {
        Assert.Equal(LinkWorkload.Bursts, BenchOptions.Parse(["--link", "20mbit", "--workload", "bursts"]).Workload);
        Assert.Equal(30, BenchOptions.Parse(["--link", "20mbit", "--workload", "bursts"]).DurationSeconds);
        Assert.Equal(5, BenchOptions.Parse(["--link", "20mbit", "--workload", "bursts", "-d", "5"]).DurationSeconds);
        Assert.Equal(LinkWorkload.Steady, BenchOptions.Parse(["--link", "20mbit", "--workload", "steady"]).Workload);
    }

    [Theory]
    [InlineData("--delay: '25s' is not a delay from 0ms to 1000ms, like 25ms", "--link", "20mbit", "--delay", "25s")]
    [InlineData("--delay: '-1ms' is not a delay from 0ms to 1000ms, like 25ms", "--link", "20mbit", "--delay", "-1ms")]
    [InlineData("--delay: '1001ms' is not a delay from 0ms to 1000ms, like 25ms", "--link", "20mbit", "--delay", "1001ms")]
    [InlineData("--delay: 'ms' is not a delay from 0ms to 1000ms, like 25ms", "--link", "20mbit", "--delay", "ms")]
    [InlineData("--delay needs a value (TIME)", "--link", "20mbit", "--delay")]
    [InlineData("--loss: '51%' is not a loss from 0% to 50%, like 0.5%", "--link", "20mbit", "--loss", "51%")]
    [InlineData("--loss: '-1%' is not a loss from 0% to 50%, like 0.5%", "--link", "20mbit", "--loss", "-1%")]
    [InlineData("--loss: 'some' is not a loss from 0% to 50%, like 0.5%", "--link", "20mbit", "--loss", "some")]
    [InlineData("--seed: 'x' is not a number from 0 to 2147483647", "--link", "20mbit", "--loss", "1%", "--seed", "x")]
    [InlineData("--workload: 'fast' is not steady, mixed or bursts", "--link", "20mbit", "--workload", "fast")]
    [InlineData("--workload needs a value (KIND)", "--link", "20mbit", "--workload")]
    [InlineData("--loads: '0' is not a load from 0.01 to 10 (times the link's rate)", "--link", "20mbit", "--loads", "0.5,0")]
    [InlineData("--loads: '' is not a load from 0.01 to 10 (times the link's rate)", "--link", "20mbit", "--loads", "0.5,")]
    [InlineData("--loads: '11' is not a load from 0.01 to 10 (times the link's rate)", "--link", "20mbit", "--loads", "11")]
    [InlineData("--delay shapes the --link run; it needs --link RATE", "--delay", "25ms")]
    [InlineData("--loss shapes the --link run; it needs --link RATE", "--loss", "1%")]
    [InlineData("--workload shapes the --link run; it needs --link RATE", "--workload", "mixed")]
    [InlineData("--loads shapes the --link run; it needs --link RATE", "--loads", "0.5")]
    [InlineData("--seed is the delay line's; it needs --delay or --loss", "--link", "20mbit", "--seed", "1")]
    public void Path_and_workload_usage_errors_are_one_line(string message, params string[] args)
    {
        string said = Assert.Throws<UsageException>(() => BenchOptions.Parse(args)).Message;
        Assert.Equal(message, said);
        Assert.DoesNotContain('\n', said);
    }

    [Fact]
    public void Help_lists_every_option_of_the_table_with_its_values()
    {
        string help = BenchHelp.Text();
        foreach (var spec in BenchOptions.Table)
        {
            Assert.Contains(spec.Display, help);
        }

        Assert.Contains("--external SEND_ADDR RECV_ADDR", help);
        Assert.Contains("udp-over-tcp-bench --external 127.0.0.1:7002 127.0.0.1:7000", help);
    }
}
