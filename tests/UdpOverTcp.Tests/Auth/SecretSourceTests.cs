using UdpOverTcp.Auth;
using UdpOverTcp.CommandLine;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Auth;

[UnitTest]
public sealed class SecretSourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("uot-secret-").FullName;

    [Fact]
    public void No_file_and_no_variable_means_no_authentication() => Assert.Null(SecretSource.Load(null, null));

    [Theory]
    [InlineData("s3cret", "s3cret")]
    [InlineData("s3cret\n", "s3cret")]
    [InlineData("s3cret\r\n", "s3cret")]
    [InlineData("s3cret\n\n", "s3cret\n")]
    [InlineData("two words ", "two words ")]
    public void File_contents_are_the_secret_less_one_line_end(string contents, string expected)
    {
        string path = Write(contents);
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes(expected), SecretSource.Load(path, null));
    }

    [Fact]
    public void Environment_variable_is_the_secret() => Assert.Equal("abc"u8.ToArray(), SecretSource.Load(null, "abc"));

    [Fact]
    public void Both_is_a_usage_error()
    {
        var error = Assert.Throws<UsageException>(() => SecretSource.Load(Write("x"), "y"));
        Assert.Equal("give the secret once: --secret-file or UDP_OVER_TCP_SECRET, not both", error.Message);
    }

    [Fact]
    public void Missing_file_is_an_error_that_names_the_path_only()
    {
        string path = Path.Combine(_dir, "nope");
        var error = Assert.Throws<SecretException>(() => SecretSource.Load(path, null));
        Assert.StartsWith($"cannot read the secret file {path}: ", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    public void Empty_file_is_an_error(string contents)
    {
        string path = Write(contents);
        Assert.Equal($"the secret file {path} is empty", Assert.Throws<SecretException>(() => SecretSource.Load(path, null)).Message);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string contents)
    {
        string path = Path.Combine(_dir, Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, contents);
        return path;
    }
}
