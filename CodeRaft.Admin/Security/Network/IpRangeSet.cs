using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace CodeRaft.Admin.Security.Network;

/// <summary>
/// An immutable set of CIDR ranges that answers "is this address inside one of them?" for every request, so it
/// must be cheap: instead of testing each of (up to thousands of) ranges, the ranges are grouped by prefix length,
/// and an address is masked once per distinct length and looked up in that length's hash set. The cost grows with
/// the number of distinct prefix lengths (at most 33 for IPv4, 129 for IPv6), not with the number of ranges.
///
/// IPv4-mapped IPv6 addresses (<c>::ffff:a.b.c.d</c>, how a dual-stack socket reports an IPv4 client) are matched as
/// the IPv4 address, and so are IPv4-mapped ranges (<c>::ffff:10.0.0.0/104</c> is <c>10.0.0.0/8</c>).
/// </summary>
public sealed class IpRangeSet
{
    private readonly Bucket<uint>[] _v4;
    private readonly Bucket<UInt128>[] _v6;

    private IpRangeSet(Bucket<uint>[] v4, Bucket<UInt128>[] v6, int count)
    {
        _v4 = v4;
        _v6 = v6;
        Count = count;
    }

    public static IpRangeSet Empty { get; } = new([], [], 0);

    /// <summary>Distinct ranges in the set (after normalization).</summary>
    public int Count { get; }

    public bool IsEmpty => Count == 0;

    public static IpRangeSet Create(IEnumerable<IPNetwork> networks)
    {
        ArgumentNullException.ThrowIfNull(networks);
        var v4 = new SortedDictionary<int, HashSet<uint>>();
        var v6 = new SortedDictionary<int, HashSet<UInt128>>();
        var count = 0;
        foreach (var network in networks)
        {
            var (address, length) = Normalize(network);
            var added = address.AddressFamily == AddressFamily.InterNetwork
                ? Add(v4, length, V4(address) & MaskV4(length))
                : Add(v6, length, V6(address) & MaskV6(length));
            count += added ? 1 : 0;
        }

        return new IpRangeSet(
            [.. v4.Select(p => new Bucket<uint>(p.Key, MaskV4(p.Key), p.Value))],
            [.. v6.Select(p => new Bucket<UInt128>(p.Key, MaskV6(p.Key), p.Value))],
            count);
    }

    public bool Contains(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var value = V4(address);
            foreach (var bucket in _v4)
            {
                if (bucket.Prefixes.Contains(value & bucket.Mask))
                {
                    return true;
                }
            }

            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var value = V6(address);
            foreach (var bucket in _v6)
            {
                if (bucket.Prefixes.Contains(value & bucket.Mask))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>An IPv4-mapped IPv6 range (prefix ≥ 96 inside ::ffff:0:0/96) becomes the IPv4 range it names.</summary>
    public static (IPAddress Address, int PrefixLength) Normalize(IPNetwork network)
    {
        var address = network.BaseAddress;
        if (address.IsIPv4MappedToIPv6 && network.PrefixLength >= 96)
        {
            return (address.MapToIPv4(), network.PrefixLength - 96);
        }

        return (address, network.PrefixLength);
    }

    private static bool Add<T>(SortedDictionary<int, HashSet<T>> buckets, int length, T prefix)
    {
        if (!buckets.TryGetValue(length, out var set))
        {
            buckets[length] = set = [];
        }

        return set.Add(prefix);
    }

    private static uint V4(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    private static UInt128 V6(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    // A shift by the type's width is not zero in C# (it is taken modulo the width): /0 is spelled out.
    private static uint MaskV4(int length) => length == 0 ? 0u : uint.MaxValue << (32 - length);

    private static UInt128 MaskV6(int length) => length == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - length);

    private sealed record Bucket<T>(int Length, T Mask, HashSet<T> Prefixes);
}
