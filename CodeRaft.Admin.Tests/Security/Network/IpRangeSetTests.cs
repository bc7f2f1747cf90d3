using System.Net;
using CodeRaft.Admin.Security.Network;

namespace CodeRaft.Admin.Tests.Security.Network;

public sealed class IpRangeSetTests
{
    private static IpRangeSet Set(params string[] cidrs) => IpRangeSet.Create(cidrs.Select(IPNetwork.Parse));

    private static bool In(IpRangeSet set, string address) => set.Contains(IPAddress.Parse(address));

    [Theory]
    [InlineData("10.0.0.0/8", "10.0.0.0", true)]
    [InlineData("10.0.0.0/8", "10.255.255.255", true)]
    [InlineData("10.0.0.0/8", "11.0.0.0", false)]
    [InlineData("10.0.0.0/8", "9.255.255.255", false)]
    [InlineData("192.168.1.0/24", "192.168.1.77", true)]
    [InlineData("192.168.1.0/24", "192.168.2.1", false)]
    [InlineData("203.0.113.7/32", "203.0.113.7", true)]
    [InlineData("203.0.113.7/32", "203.0.113.6", false)]
    [InlineData("203.0.113.7/32", "203.0.113.8", false)]
    [InlineData("0.0.0.0/0", "0.0.0.0", true)]
    [InlineData("0.0.0.0/0", "255.255.255.255", true)]
    [InlineData("0.0.0.0/0", "::1", false)]
    public void Contains_Ipv4Ranges_MatchesByPrefix(string cidr, string address, bool expected) =>
        Assert.Equal(expected, In(Set(cidr), address));

    [Theory]
    [InlineData("2001:db8::/32", "2001:db8::1", true)]
    [InlineData("2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true)]
    [InlineData("2001:db8::/32", "2001:db9::", false)]
    [InlineData("2001:db8::1/128", "2001:db8::1", true)]
    [InlineData("2001:db8::1/128", "2001:db8::2", false)]
    [InlineData("2001:db8::1/128", "2001:db8::", false)]
    [InlineData("::/0", "::", true)]
    [InlineData("::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true)]
    [InlineData("::/0", "127.0.0.1", false)]
    [InlineData("fe80::/10", "febf::1", true)]
    [InlineData("fe80::/10", "fec0::1", false)]
    public void Contains_Ipv6Ranges_MatchesByPrefix(string cidr, string address, bool expected) =>
        Assert.Equal(expected, In(Set(cidr), address));

    [Theory]
    [InlineData("10.0.0.0/8", "::ffff:10.1.2.3", true)]
    [InlineData("10.0.0.0/8", "::ffff:11.1.2.3", false)]
    [InlineData("127.0.0.1/32", "::ffff:127.0.0.1", true)]
    [InlineData("::ffff:10.0.0.0/104", "10.9.9.9", true)]
    [InlineData("::ffff:10.0.0.0/104", "::ffff:10.9.9.9", true)]
    [InlineData("::ffff:10.0.0.0/104", "11.0.0.1", false)]
    [InlineData("::ffff:192.0.2.1/128", "192.0.2.1", true)]
    public void Contains_Ipv4MappedAddressesAndRanges_MatchAsIpv4(string cidr, string address, bool expected) =>
        Assert.Equal(expected, In(Set(cidr), address));

    [Fact]
    public void Contains_OverlappingRanges_MatchesAnyAndCountsEachOnce()
    {
        var set = Set("10.0.0.0/8", "10.1.0.0/16", "10.1.2.3/32", "10.1.0.0/16", "2001:db8::/32", "2001:db8::/48");

        Assert.Equal(5, set.Count);
        Assert.True(In(set, "10.200.0.1"));
        Assert.True(In(set, "10.1.2.3"));
        Assert.True(In(set, "2001:db8:1::1"));
        Assert.False(In(set, "172.16.0.1"));
    }

    [Fact]
    public void Contains_EmptySet_MatchesNothing()
    {
        Assert.True(IpRangeSet.Empty.IsEmpty);
        Assert.False(In(IpRangeSet.Empty, "127.0.0.1"));
        Assert.False(In(IpRangeSet.Empty, "::1"));
    }

    [Fact]
    public void Contains_ThousandRanges_MatchesEveryMemberAndNoNeighbour()
    {
        var cidrs = Enumerable.Range(0, 1000).Select(i => $"10.{i / 256}.{i % 256}.0/24").ToArray();
        var set = Set(cidrs);

        Assert.Equal(1000, set.Count);
        Assert.All(Enumerable.Range(0, 1000), i => Assert.True(In(set, $"10.{i / 256}.{i % 256}.200")));
        Assert.False(In(set, "10.3.232.1")); // the 1001st /24
        Assert.False(In(set, "11.0.0.1"));
    }
}
