using CodeRaft.Admin.Features.Siem.Formatting;
using CodeRaft.Admin.Tests.Features.Audit.Viewer;
using static CodeRaft.Admin.Tests.Features.Siem.Formatting.SiemSamples;

namespace CodeRaft.Admin.Tests.Features.Siem.Formatting;

public sealed class LeefFormatterTests
{
    private static readonly LeefFormatter Bare = new(null);

    private static readonly string[] EntryKeys =
    [
        "sequence", "chainHash", "devTime", "devTimeFormat", "cat", "sev", "action", "outcome", "usrName", "actorId", "actorType", "src",
        "target", "targetType", "details",
    ];

    [Fact]
    public void Format_Entry_IsTheExpectedLeefLine()
    {
        var line = Bare.Format(Of(Entry()));

        Assert.Equal(
            "LEEF:2.0|CodeRaft|admin|1.0.0|apikey.created|x09|sequence=1042\tchainHash=9d4e2b7a1c3f5e8d0b2a4c6e8f0a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a" +
            "\tdevTime=2026-11-29T08:15:30.123Z\tdevTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSX\tcat=apikeys\tsev=3\taction=apikey.created\toutcome=success" +
            "\tusrName=alice@example.com\tactorId=3f2b8c1e-5d4a-4f6b-9a7c-2e1d0c9b8a71\tactorType=user\tsrc=203.0.113.7\ttarget=crk_7Hq2LmN9pQ" +
            "\ttargetType=apikey\tdetails={\"name\":\"ci-deploy\",\"scopes\":[\"audit:write\"],\"expiresAt\":\"2027-02-27T08:15:30.123Z\"}",
            line);
        Assert.Equal(EntryKeys, LeefMessage.Parse(line).Attributes.Select(a => a.Key));
    }

    [Fact]
    public void Format_Specials_AreEscapedSoTheDelimiterAndLineBreaksNeverOccurRaw()
    {
        var entry = Entry();
        entry.Product = "a|b\\c";
        entry.ActorName = "tab\there\nnew\rline=ok|pipe";

        var line = Bare.Format(Of(entry));

        Assert.StartsWith("LEEF:2.0|CodeRaft|a\\|b\\\\c|1.0.0|apikey.created|x09|", line, StringComparison.Ordinal);
        var leef = LeefMessage.Parse(line);
        Assert.Equal("a|b\\c", leef.Header[1]);
        Assert.Equal("tab\\there\\nnew\\rline=ok|pipe", leef["usrName"]);
    }

    [Fact]
    public void Format_Checkpoint_CarriesSequenceHashKeyAndSignature()
    {
        var checkpoint = Checkpoint();

        var leef = LeefMessage.Parse(Bare.Format(Of(checkpoint)));

        Assert.Equal(["CodeRaft", "admin", "1.0.0", "audit.checkpoint", "x09"], leef.Header);
        Assert.Equal(
            [
                ("sequence", "1042"), ("chainHash", checkpoint.Hash), ("devTime", checkpoint.Timestamp), ("devTimeFormat", LeefFormatter.DevTimeFormat),
                ("cat", "audit"), ("sev", "1"), ("keyId", checkpoint.KeyId), ("signature", checkpoint.Signature),
            ],
            leef.Attributes);
    }

    [Fact]
    public void Format_OnSyslogOverUdp_IsAnRfc5424MessageCutToTheCap()
    {
        var formatter = new LeefFormatter(Header, SiemLineFormatter.UdpMaxOctets);
        var entry = Entry("failure");
        entry.Details = "{\"a\":\"" + new string('\u4e00', 5000) + "\"}";

        var line = formatter.Format(Of(entry));

        Assert.True(Octets(line) is <= 2048 and >= 2046, $"{Octets(line)} octets");
        var m = Rfc5424Grammar.Parse(line);
        Assert.Equal(107, m.Pri);
        var leef = LeefMessage.Parse(m.Msg!);
        Assert.Equal("7", leef["sev"]);
        Assert.Equal(Octets(entry.Details).ToString(System.Globalization.CultureInfo.InvariantCulture), leef["truncated"]);
        Assert.EndsWith("[truncated]", leef["details"], StringComparison.Ordinal);
    }

    [Fact]
    public void Format_NaughtyStringsInEveryField_KeepTheAttributeStructure()
    {
        foreach (var naughty in BigListOfNaughtyStrings.Load())
        {
            var entry = Entry();
            entry.Product = entry.Category = entry.Action = entry.Outcome = entry.ActorType = entry.ActorId = entry.ActorName = naughty;
            entry.SourceIp = entry.TargetType = entry.TargetId = entry.Hash = entry.Details = naughty;

            var line = Bare.Format(Of(entry));
            LeefMessage leef;
            try
            {
                leef = LeefMessage.Parse(line);
            }
            catch (Exception ex) when (ex is FormatException or IndexOutOfRangeException)
            {
                throw new Xunit.Sdk.XunitException($"{ex.Message} for naughty string {naughty}: {line}");
            }

            var expectedKeys = EntryKeys.Select(k => k == "src" && naughty.Length > 0 && !System.Net.IPAddress.TryParse(naughty, out _) ? "sourceIp" : k);
            Assert.Equal(expectedKeys, leef.Attributes.Select(a => a.Key));
            var escaped = AsSent(naughty).Replace("\t", "\\t", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
            Assert.Equal(escaped, AsSent(leef["details"]));
            Assert.Equal(escaped, AsSent(leef["usrName"]));
        }
    }
}
