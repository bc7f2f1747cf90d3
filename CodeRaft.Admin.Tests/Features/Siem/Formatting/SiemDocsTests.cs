using CodeRaft.Admin.Features.Siem.Formatting;
using CodeRaft.Admin.Tests.Features.Audit.Verification;
using static CodeRaft.Admin.Tests.Features.Siem.Formatting.SiemSamples;

namespace CodeRaft.Admin.Tests.Features.Siem.Formatting;

/// <summary>docs/siem.md "Samples" shows what the formatters really produce: this test fails when the two drift apart.</summary>
public sealed class SiemDocsTests
{
    public static TheoryData<string, string> Samples()
    {
        var rfc5424 = new Rfc5424Formatter("audit@32473", Header);
        var cef = new CefFormatter(Header, Header.HostName);
        var leef = new LeefFormatter(Header);
        var json = new JsonFormatter(Header);
        return new TheoryData<string, string>
        {
            { "rfc5424-entry", rfc5424.Format(Of(Entry())) },
            { "rfc5424-checkpoint", rfc5424.Format(Of(Checkpoint())) },
            { "cef-entry", cef.Format(Of(Entry())) },
            { "cef-checkpoint", cef.Format(Of(Checkpoint())) },
            { "leef-entry", leef.Format(Of(Entry())) },
            { "leef-checkpoint", leef.Format(Of(Checkpoint())) },
            { "json-syslog-entry", json.Format(Of(Entry())) },
            { "json-entry", JsonFormatter.Plain.Format(Of(Entry())) },
            { "json-checkpoint", JsonFormatter.Plain.Format(Of(Checkpoint())) },
        };
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Docs_Sample_IsWhatTheFormatterProduces(string name, string sample)
    {
        // To refresh the docs after a deliberate format change: CODERAFT_SIEM_SAMPLES_DIR=/tmp/x dotnet test … and paste.
        if (Environment.GetEnvironmentVariable("CODERAFT_SIEM_SAMPLES_DIR") is { Length: > 0 } directory)
        {
            File.WriteAllText(Path.Combine(directory, name + ".md"), $"<!-- sample: {name} -->\n```text\n{sample}\n```\n");
        }

        var doc = File.ReadAllText(Path.Combine(Tool.RepositoryRoot, "docs", "siem.md")).ReplaceLineEndings("\n");

        Assert.True(doc.Contains($"<!-- sample: {name} -->\n```text\n{sample}\n```", StringComparison.Ordinal),
            $"docs/siem.md lacks the current {name} sample:\n{sample}");
    }
}
