using CodeRaft.Admin.Security.Network;

namespace CodeRaft.Admin.Tests.Security.Network;

public sealed class CidrTextTests
{
    [Theory]
    [InlineData("10.0.0.0/8", "10.0.0.0/8")]
    [InlineData("  192.168.1.0/24 ", "192.168.1.0/24")]
    [InlineData("203.0.113.7", "203.0.113.7/32")]
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    [InlineData("2001:db8::/32", "2001:db8::/32")]
    [InlineData("2001:DB8::1", "2001:db8::1/128")]
    [InlineData("::/0", "::/0")]
    [InlineData("::1", "::1/128")]
    [InlineData("::ffff:10.0.0.0/104", "10.0.0.0/8")]
    [InlineData("::ffff:127.0.0.1", "127.0.0.1/32")]
    public void TryParse_ValidEntry_ReturnsNormalizedRange(string text, string expected)
    {
        Assert.True(CidrText.TryParse(text, out var network, out var error), error);
        Assert.Equal(expected, network.ToString());
    }

    [Theory]
    [InlineData("", "Enter an IP address")]
    [InlineData("   ", "Enter an IP address")]
    [InlineData(null, "Enter an IP address")]
    [InlineData("10.1.2.3/8", "did you mean 10.0.0.0/8?")]
    [InlineData("2001:db8::1/32", "did you mean 2001:db8::/32?")]
    [InlineData("10.0.0.0/33", "from 0 to 32")]
    [InlineData("2001:db8::/129", "from 0 to 128")]
    [InlineData("10.0.0.0/", "from 0 to 32")]
    [InlineData("10.0.0.0/-1", "from 0 to 32")]
    [InlineData("10.0.0.0/+8", "from 0 to 32")]
    [InlineData("10.0.0.0/08x", "from 0 to 32")]
    [InlineData("10.0.0.0/8/8", "from 0 to 32")]
    [InlineData("10.1", "is not an IP address")]
    [InlineData("012.0.0.1", "is not an IP address")]
    [InlineData("256.0.0.1", "is not an IP address")]
    [InlineData("fe80::1%eth0", "is not an IP address")]
    [InlineData("[2001:db8::1]:80", "is not an IP address")] // IPAddress.Parse would drop the port silently
    [InlineData("[::1]", "is not an IP address")]
    [InlineData("example.org", "is not an IP address")]
    [InlineData("1' OR '1'='1", "is not an IP address")]
    [InlineData("<script>alert(1)</script>", "is not an IP address")]
    [InlineData("10.0.0.0\n/8", "is not an IP address")]
    public void TryParse_InvalidEntry_RefusesWithMessage(string? text, string expected)
    {
        Assert.False(CidrText.TryParse(text, out var network, out var error));
        Assert.Null(network);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_OverlongEntry_RefusesWithLimit()
    {
        Assert.False(CidrText.TryParse(new string('1', CidrText.MaxLength + 1), out _, out var error));
        Assert.Contains($"at most {CidrText.MaxLength} characters", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_ControlCharacters_AreNotEchoed()
    {
        Assert.False(CidrText.TryParse("10.0.0.\u001b[31m0/8", out _, out var error));
        Assert.DoesNotContain('\u001b', error);
    }
}
