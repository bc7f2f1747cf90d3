using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace CodeRaft.Admin.Security.Network;

/// <summary>
/// Reads an allowlist or trusted-proxy entry typed by a person: <c>a.b.c.d/len</c>, <c>v6::/len</c>, or a bare
/// address (a /32 or /128). Strict on purpose — an entry that means something other than it looks like is refused
/// with a sentence that says why, never silently "corrected":
///   host bits set (<c>10.1.2.3/8</c>) → refused, naming the range that was probably meant;
///   zone ids (<c>fe80::1%eth0</c>), leading zeros and short forms IPAddress.Parse accepts (<c>10.1</c>, <c>012.0.0.1</c>) → refused;
///   IPv4-mapped IPv6 entries are accepted and normalized to IPv4 (<see cref="IpRangeSet.Normalize"/>).
/// </summary>
public static class CidrText
{
    /// <summary>Longest accepted entry: a full IPv6 address with a prefix is 43 characters.</summary>
    public const int MaxLength = 64;

    public static bool TryParse(string? text, [NotNullWhen(true)] out IPNetwork? network, [NotNullWhen(false)] out string? error)
    {
        network = null;
        var entry = text?.Trim() ?? "";
        if (entry.Length == 0)
        {
            error = "Enter an IP address or a CIDR range, e.g. 203.0.113.0/24 or 2001:db8::/32.";
            return false;
        }

        if (entry.Length > MaxLength)
        {
            error = $"An IP address or CIDR range is at most {MaxLength} characters.";
            return false;
        }

        var slash = entry.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? entry : entry[..slash];
        if (!TryParseAddress(addressText, out var address))
        {
            error = $"'{Shown(entry)}' is not an IP address or CIDR range; write it like 203.0.113.0/24 or 2001:db8::/32.";
            return false;
        }

        var width = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var length = width;
        if (slash >= 0)
        {
            var lengthText = entry[(slash + 1)..];
            if (lengthText.Length is 0 or > 3 || !lengthText.All(char.IsAsciiDigit)
                || !int.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out length) || length > width)
            {
                error = $"The prefix length after '/' must be a number from 0 to {width} for an IPv{(width == 32 ? 4 : 6)} range.";
                return false;
            }
        }

        var candidate = new IPNetwork(Masked(address, length), length);
        if (!candidate.BaseAddress.Equals(address))
        {
            error = $"'{Shown(entry)}' has bits set after the first {length}; did you mean {candidate}?";
            return false;
        }

        var (normalized, normalizedLength) = IpRangeSet.Normalize(candidate);
        network = new IPNetwork(normalized, normalizedLength);
        error = null;
        return true;
    }

    /// <summary>The normalized text of an entry already validated with <see cref="TryParse"/>.</summary>
    public static string Normalize(string? text) =>
        TryParse(text, out var network, out var error) ? network.ToString()! : throw new ArgumentException(error, nameof(text));

    /// <summary>Only the canonical textual forms: dotted quad with four decimal parts, or IPv6 without a zone.</summary>
    private static bool TryParseAddress(string text, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        // '%': a zone id; '[' or ']': a bracketed IPv6 form, possibly with a port IPAddress.Parse would silently drop.
        if (text.Length == 0 || text.AsSpan().IndexOfAny("%[]") >= 0 || !IPAddress.TryParse(text, out var parsed))
        {
            return false;
        }

        if (parsed.AddressFamily == AddressFamily.InterNetwork)
        {
            // IPAddress.Parse accepts "10.1" and octal-looking "012.0.0.1"; a person means neither.
            var parts = text.Split('.');
            if (parts.Length != 4 || parts.Any(p => p.Length is 0 or > 3 || !p.All(char.IsAsciiDigit) || (p.Length > 1 && p[0] == '0')))
            {
                return false;
            }
        }
        else if (parsed.AddressFamily != AddressFamily.InterNetworkV6 || !text.Contains(':', StringComparison.Ordinal))
        {
            return false;
        }

        address = parsed;
        return true;
    }

    internal static IPAddress Masked(IPAddress address, int length)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(length - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }

        return new IPAddress(bytes);
    }

    /// <summary>Echoes the entry in a message without letting control characters through.</summary>
    private static string Shown(string entry) =>
        new(entry.Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
