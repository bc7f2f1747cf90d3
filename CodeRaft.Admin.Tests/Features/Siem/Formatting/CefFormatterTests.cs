using CodeRaft.Admin.Features.Siem.Formatting;
using CodeRaft.Admin.Tests.Features.Audit.Viewer;
using static CodeRaft.Admin.Tests.Features.Siem.Formatting.SiemSamples;

namespace CodeRaft.Admin.Tests.Features.Siem.Formatting;

public sealed class CefFormatterTests
{
    private static readonly CefFormatter Bare = new(null);

    [Fact]
    public void Format_Entry_IsTheExpectedCefLine()
    {
        var line = Bare.Format(Of(Entry()));

        Assert.Equal(
            "CEF:0|CodeRaft|admin|1.0.0|apikey.created|apikey.created|3|rt=1795940130123 externalId=1042 " +
            "cs1=9d4e2b7a1c3f5e8d0b2a4c6e8f0a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a cs1Label=chainHash cat=apikeys " +
            "act=apikey.created outcome=success suser=alice@example.com suid=3f2b8c1e-5d4a-4f6b-9a7c-2e1d0c9b8a71 cs4=user cs4Label=actorType " +
            "src=203.0.113.7 cs2=crk_7Hq2LmN9pQ cs2Label=target cs3=apikey cs3Label=targetType " +
            "msg={\"name\":\"ci-deploy\",\"scopes\":[\"audit:write\"],\"expiresAt\":\"2027-02-27T08:15:30.123Z\"}",
            line);
        Assert.Equal(DateTimeOffset.Parse("2026-11-29T08:15:30.123Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(),
            long.Parse(CefMessage.Parse(line)["rt"], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Format_HeaderSpecials_AreEscapedPerVectors()
    {
        // VECTORS.md: header fields | → \|, \ → \\.
        var entry = Entry();
        entry.Product = "a|b\\c";
        entry.Action = "x|y";

        var line = Bare.Format(Of(entry));

        Assert.StartsWith("CEF:0|CodeRaft|a\\|b\\\\c|1.0.0|x\\|y|x\\|y|3|", line, StringComparison.Ordinal);
        var cef = CefMessage.Parse(line);
        Assert.Equal(["0", "CodeRaft", "a|b\\c", "1.0.0", "x|y", "x|y", "3"], cef.Header);
    }

    [Fact]
    public void Format_ExtensionSpecials_AreEscapedPerVectors()
    {
        // VECTORS.md: extension values = → \=, \ → \\, newline → \n.
        var entry = Entry();
        entry.ActorName = "a=b\\c\nd\re";
        entry.Details = "{\"k\":\"v=1\"}";

        var line = Bare.Format(Of(entry));

        Assert.Contains(" suser=a\\=b\\\\c\\nd\\re ", line, StringComparison.Ordinal);
        Assert.EndsWith(" msg={\"k\":\"v\\=1\"}", line, StringComparison.Ordinal);
        var cef = CefMessage.Parse(line);
        Assert.Equal(entry.ActorName, cef["suser"]);
        Assert.Equal(entry.Details, cef["msg"]);
    }

    [Theory]
    [InlineData("success", "3")]
    [InlineData("denied", "6")]
    [InlineData("failure", "7")]
    public void Format_Outcome_SetsTheSeverity(string outcome, string severity) =>
        Assert.Equal(severity, CefMessage.Parse(Bare.Format(Of(Entry(outcome)))).Header[6]);

    [Fact]
    public void Format_SourceThatIsNoAddress_GoesToItsOwnFieldNotSrc()
    {
        var entry = Entry();
        entry.SourceIp = "unknown";

        var cef = CefMessage.Parse(Bare.Format(Of(entry)));

        Assert.DoesNotContain(cef.Extension, e => e.Key == "src");
        Assert.Equal("unknown", cef["cs5"]);
        Assert.Equal("sourceIp", cef["cs5Label"]);
    }

    [Fact]
    public void Format_Checkpoint_CarriesSequenceHashKeyAndSignature()
    {
        var checkpoint = Checkpoint();

        var cef = CefMessage.Parse(Bare.Format(Of(checkpoint)));

        Assert.Equal(["0", "CodeRaft", "admin", "1.0.0", "audit.checkpoint", "audit.checkpoint", "1"], cef.Header);
        Assert.Equal("1042", cef["externalId"]);
        Assert.Equal(checkpoint.Hash, cef["cs1"]);
        Assert.Equal("keyId", cef["cs2Label"]);
        Assert.Equal(checkpoint.KeyId, cef["cs2"]);
        Assert.Equal("signature", cef["cs3Label"]);
        Assert.Equal(checkpoint.Signature, cef["cs3"]);
        Assert.Equal(DateTimeOffset.Parse(checkpoint.Timestamp, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture), cef["rt"]);
    }

    [Fact]
    public void Format_OnSyslog_IsTheMsgOfAnRfc5424MessageWithoutStructuredData()
    {
        var formatter = new CefFormatter(Header, "portal.example.com");

        var m = Rfc5424Grammar.Parse(formatter.Format(Of(Entry("denied"))));

        Assert.Equal(108, m.Pri);
        Assert.Equal("apikey.created", m.MsgId);
        Assert.Empty(m.StructuredData);
        var cef = CefMessage.Parse(m.Msg!);
        Assert.Equal("portal.example.com", cef["dvchost"]);
        Assert.Equal("6", cef.Header[6]);
    }

    [Fact]
    public void Format_LargeDetailsOverUdp_CutsMsgAndRecordsTheOriginalSize()
    {
        var formatter = new CefFormatter(Header, "portal.example.com", SiemLineFormatter.UdpMaxOctets);
        var entry = Entry();
        entry.Details = "{\"a\":\"" + string.Concat(Enumerable.Repeat("=\\", 20_000)) + "\"}";

        var line = formatter.Format(Of(entry));

        Assert.True(Octets(line) is <= 2048 and >= 2046, $"{Octets(line)} octets");
        var cef = CefMessage.Parse(Rfc5424Grammar.Parse(line).Msg!);
        Assert.EndsWith("[truncated]", cef["msg"], StringComparison.Ordinal);
        Assert.StartsWith(cef["msg"][..^"[truncated]".Length], entry.Details, StringComparison.Ordinal);
        Assert.Equal(Octets(entry.Details).ToString(System.Globalization.CultureInfo.InvariantCulture), cef["cn1"]);
        Assert.Equal("detailsOctets", cef["cn1Label"]);
    }

    [Fact]
    public void Format_NaughtyStringsInEveryField_ParseBackUnchanged()
    {
        foreach (var naughty in BigListOfNaughtyStrings.Load())
        {
            var entry = Entry();
            entry.Product = entry.Category = entry.Action = entry.Outcome = entry.ActorType = entry.ActorId = entry.ActorName = naughty;
            entry.TargetType = entry.TargetId = entry.Hash = entry.Details = naughty;
            entry.SourceIp = "not an address " + naughty;

            var line = Bare.Format(Of(entry));
            CefMessage cef;
            try
            {
                cef = CefMessage.Parse(line);
            }
            catch (Exception ex) when (ex is FormatException or IndexOutOfRangeException)
            {
                throw new Xunit.Sdk.XunitException($"{ex.Message} for naughty string {naughty}: {line}");
            }

            // Header fields lose line breaks (a header cannot hold them); everything else comes back as sent.
            var headerForm = AsSent(naughty).Replace('\r', ' ').Replace('\n', ' ');
            Assert.Equal(["0", "CodeRaft", headerForm, "1.0.0", headerForm, headerForm, "5"], cef.Header.Select(AsSent));
            foreach (var key in new[] { "cat", "act", "outcome", "cs1", "msg" })
            {
                Assert.Equal(AsSent(naughty), AsSent(cef[key]));
            }

            foreach (var key in new[] { "suser", "suid", "cs4", "cs2", "cs3" })
            {
                Assert.Equal(naughty.Length == 0 ? null : AsSent(naughty), cef.Extension.Where(e => e.Key == key).Select(e => AsSent(e.Value)).SingleOrDefault());
            }

            Assert.Equal(AsSent(entry.SourceIp), AsSent(cef["cs5"]));
        }
    }
}
