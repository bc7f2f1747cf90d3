using CodeRaft.Admin.Features.Siem;
using CodeRaft.Admin.Features.Siem.Formatting;
using Microsoft.Extensions.DependencyInjection;
using static CodeRaft.Admin.Tests.Features.Siem.Formatting.SiemSamples;

namespace CodeRaft.Admin.Tests.Features.Siem.Formatting;

public sealed class SiemFormatterFactoryTests
{
    private readonly SiemFormatterFactory _factory = new("portal.example.com");

    private static SiemTarget Target(SiemTargetType type, SiemFormat format, string sdId = "audit@32473") => new()
    {
        Name = "t",
        Type = type,
        Format = format,
        Endpoint = "siem.example.com:6514",
        StructuredDataId = sdId,
        CreatedBy = "test",
    };

    [Theory]
    [InlineData(SiemTargetType.SplunkHec, SiemFormat.Cef)]
    [InlineData(SiemTargetType.SplunkHec, SiemFormat.Rfc5424)]
    [InlineData(SiemTargetType.Webhook, SiemFormat.Leef)]
    [InlineData(SiemTargetType.Webhook, SiemFormat.Json)]
    public void Create_HecOrWebhook_IsAlwaysBareJson(SiemTargetType type, SiemFormat format) =>
        Assert.Same(JsonFormatter.Plain, _factory.Create(Target(type, format)));

    [Theory]
    [InlineData(SiemTargetType.SyslogUdp, SiemFormat.Rfc5424, typeof(Rfc5424Formatter), 2048)]
    [InlineData(SiemTargetType.SyslogTcp, SiemFormat.Rfc5424, typeof(Rfc5424Formatter), 0)]
    [InlineData(SiemTargetType.SyslogTls, SiemFormat.Cef, typeof(CefFormatter), 0)]
    [InlineData(SiemTargetType.SyslogUdp, SiemFormat.Cef, typeof(CefFormatter), 2048)]
    [InlineData(SiemTargetType.SyslogTls, SiemFormat.Leef, typeof(LeefFormatter), 0)]
    [InlineData(SiemTargetType.SyslogUdp, SiemFormat.Leef, typeof(LeefFormatter), 2048)]
    [InlineData(SiemTargetType.SyslogTcp, SiemFormat.Json, typeof(JsonFormatter), 0)]
    [InlineData(SiemTargetType.SyslogUdp, SiemFormat.Json, typeof(JsonFormatter), 2048)]
    public void Create_Syslog_PicksTheFormatAndTheCapOfTheTransport(SiemTargetType type, SiemFormat format, Type expected, int maxOctets)
    {
        var formatter = _factory.Create(Target(type, format));

        Assert.IsType(expected, formatter);
        Assert.Equal(maxOctets, formatter is JsonFormatter json ? json.MaxOctets : ((SiemLineFormatter)formatter).MaxOctets);
        // Every syslog format is an RFC 5424 message, entries and checkpoints alike.
        Assert.Equal("portal.example.com", Rfc5424Grammar.Parse(formatter.Format(Of(Entry()))).HostName);
        Assert.Equal("audit.checkpoint", Rfc5424Grammar.Parse(formatter.Format(Of(Checkpoint()))).MsgId);
    }

    [Fact]
    public void Create_InvalidStructuredDataId_Throws() =>
        Assert.Throws<ArgumentException>(() => _factory.Create(Target(SiemTargetType.SyslogTcp, SiemFormat.Rfc5424, "no spaces@1")));

    [Fact]
    public void Create_FromTheContainer_SendsTheMachineNameAndProcessId()
    {
        using var services = new ServiceCollection().AddSingleton<ISiemFormatterFactory, SiemFormatterFactory>().BuildServiceProvider();

        var formatter = services.GetRequiredService<ISiemFormatterFactory>().Create(Target(SiemTargetType.SyslogTcp, SiemFormat.Rfc5424));

        var m = Rfc5424Grammar.Parse(formatter.Format(Of(Entry())));
        Assert.Equal(SyslogHeader.PrintUsAscii(Environment.MachineName, 255), m.HostName);
        Assert.Equal(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), m.ProcId);
    }

    [Fact]
    public async Task Format_ConcurrentCallsOnOneFormatter_DoNotInterfere()
    {
        var formatter = _factory.Create(Target(SiemTargetType.SyslogTcp, SiemFormat.Rfc5424));
        var expected = formatter.Format(Of(Entry()));

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            Enumerable.Range(0, 2000).Select(_ => formatter.Format(Of(Entry()))).Distinct().ToList())));

        Assert.All(results, r => Assert.Equal([expected], r));
    }

    public static TheoryData<string> CappedFormats() => ["rfc5424", "cef", "leef", "json"];

    [Theory]
    [MemberData(nameof(CappedFormats))]
    public void Format_WorstCaseEntryAtTheSmallestCap_FitsWithValidGrammar(string format)
    {
        var header = new SyslogHeader(new string('h', 300), int.MaxValue);
        ISiemFormatter formatter = format switch
        {
            "rfc5424" => new Rfc5424Formatter("an-sd-id-of-32-characters@32473", header, SiemLineFormatter.MinMaxOctets),
            "cef" => new CefFormatter(header, new string('h', 255), SiemLineFormatter.MinMaxOctets),
            "leef" => new LeefFormatter(header, SiemLineFormatter.MinMaxOctets),
            _ => new JsonFormatter(header, SiemLineFormatter.MinMaxOctets),
        };
        var worst = string.Concat(Enumerable.Repeat("\"]=|\t\u0001😀\n", 500));
        var entry = Entry();
        entry.Product = entry.Category = entry.Outcome = entry.ActorType = entry.ActorId = entry.ActorName = worst;
        entry.SourceIp = entry.TargetType = entry.TargetId = entry.Hash = entry.PreviousHash = worst;
        entry.Action = new string('a', 128);
        entry.Details = worst;

        var line = formatter.Format(Of(entry));

        Assert.True(Octets(line) <= SiemLineFormatter.MinMaxOctets, $"{Octets(line)} octets");
        var m = Rfc5424Grammar.Parse(line);
        switch (format)
        {
            case "cef":
                Assert.Equal("1042", CefMessage.Parse(m.Msg!)["externalId"]);
                break;
            case "leef":
                Assert.Equal("1042", LeefMessage.Parse(m.Msg!)["sequence"]);
                break;
            case "json":
                using (var json = System.Text.Json.JsonDocument.Parse(m.Msg!))
                {
                    Assert.Equal(1042, json.RootElement.GetProperty("sequence").GetInt64());
                    Assert.EndsWith("[truncated]", json.RootElement.GetProperty("details").GetString(), StringComparison.Ordinal);
                }

                break;
            default:
                Assert.Equal("1042", m.Param("sequence"));
                break;
        }
    }
}
