using System.Text;
using System.Text.Json;
using UdpOverTcp.Bench;

namespace UdpOverTcp.Tests.Bench;

public sealed class JsonTextWriterTests
{
    [Fact]
    public void Writes_json_that_a_real_parser_reads_back_with_every_value_intact()
    {
        var stream = new MemoryStream();
        using (var json = new JsonTextWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("text", "quote \" backslash \\ newline \n tab \t bell \u0007 é ✓");
            json.WriteNumber("int", long.MaxValue);
            json.WriteNumber("negative", -42);
            json.WriteNumber("double", 0.1 + 0.2);
            json.WriteNumber("nan", double.NaN);
            json.WriteBoolean("yes", true);
            json.WriteNull("nothing");
            json.WriteString("missing", null);
            json.WriteStartArray("list");
            json.WriteStartObject();
            json.WriteNumber("a", 1);
            json.WriteEndObject();
            json.WriteStartObject();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteStartArray("empty");
            json.WriteEndArray();
            json.WriteEndObject();
            json.Flush();
        }

        using var parsed = JsonDocument.Parse(stream.ToArray());
        var root = parsed.RootElement;
        Assert.Equal("quote \" backslash \\ newline \n tab \t bell \u0007 é ✓", root.GetProperty("text").GetString());
        Assert.Equal(long.MaxValue, root.GetProperty("int").GetInt64());
        Assert.Equal(-42, root.GetProperty("negative").GetInt64());
        Assert.Equal(0.1 + 0.2, root.GetProperty("double").GetDouble());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("nan").ValueKind);
        Assert.True(root.GetProperty("yes").GetBoolean());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("nothing").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("missing").ValueKind);
        Assert.Equal(2, root.GetProperty("list").GetArrayLength());
        Assert.Equal(1, root.GetProperty("list")[0].GetProperty("a").GetInt32());
        Assert.Equal(0, root.GetProperty("empty").GetArrayLength());
        Assert.EndsWith("}\n", Encoding.UTF8.GetString(stream.ToArray()));
    }
}
