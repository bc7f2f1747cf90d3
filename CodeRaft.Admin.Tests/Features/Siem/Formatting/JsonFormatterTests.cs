using System.Text.Json;
using CodeRaft.Admin.Features.Audit.Export;
using CodeRaft.Admin.Features.Siem.Formatting;
using static CodeRaft.Admin.Tests.Features.Siem.Formatting.SiemSamples;

namespace CodeRaft.Admin.Tests.Features.Siem.Formatting;

public sealed class JsonFormatterTests
{
    [Fact]
    public void Format_Entry_IsTheExportShape() =>
        Assert.Equal(AuditExporter.ToJson(Entry()), JsonFormatter.Plain.Format(Of(Entry())));

    [Fact]
    public void Format_Checkpoint_IsTheCheckpointExportShapeDistinctFromAnEntry()
    {
        var json = JsonFormatter.Plain.Format(Of(Checkpoint()));

        Assert.Equal(AuditExporter.ToJson(Checkpoint()), json);
        using var checkpoint = JsonDocument.Parse(json);
        using var entry = JsonDocument.Parse(JsonFormatter.Plain.Format(Of(Entry())));
        var checkpointKeys = checkpoint.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        var entryKeys = entry.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(["sequence", "hash", "timestamp", "key_id", "signature"], checkpointKeys);
        Assert.Equal(AuditExporter.EntryColumns, entryKeys);
        Assert.DoesNotContain("key_id", entryKeys);
        Assert.DoesNotContain("action", checkpointKeys);
    }

    [Fact]
    public void Format_OnSyslog_IsTheMsgOfAnRfc5424Message()
    {
        var m = Rfc5424Grammar.Parse(new JsonFormatter(Header).Format(Of(Entry())));

        Assert.Equal("apikey.created", m.MsgId);
        Assert.Empty(m.StructuredData);
        Assert.Equal(AuditExporter.ToJson(Entry()), m.Msg);
    }

    [Fact]
    public void Format_LargeDetailsOverUdp_CutsTheDetailsStringAndStaysValidJson()
    {
        var entry = Entry();
        entry.Details = "{\"a\":\"" + string.Concat(Enumerable.Repeat("\"\\é\u0001", 10_000)) + "\"}";

        var line = new JsonFormatter(Header, SiemLineFormatter.UdpMaxOctets).Format(Of(entry));

        Assert.True(Octets(line) <= 2048, $"{Octets(line)} octets");
        Assert.True(Octets(line) >= 1900, "the cut should use most of the room there is");
        using var json = JsonDocument.Parse(Rfc5424Grammar.Parse(line).Msg!);
        var details = json.RootElement.GetProperty("details").GetString()!;
        Assert.EndsWith("[truncated]", details, StringComparison.Ordinal);
        Assert.StartsWith(details[..^"[truncated]".Length], entry.Details, StringComparison.Ordinal);
        Assert.Equal(entry.Hash, json.RootElement.GetProperty("hash").GetString());
    }
}
