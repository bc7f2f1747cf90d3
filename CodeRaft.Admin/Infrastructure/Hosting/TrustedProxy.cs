using System.Net;

namespace CodeRaft.Admin.Infrastructure.Hosting;

/// <summary>Parses a <c>Network:TrustedProxies</c> entry: an address (a /32 or /128) or a CIDR range.</summary>
public static class TrustedProxy
{
    public static IPNetwork Parse(string entry) =>
        // The same strict reading as the allowlists: host bits, zone ids and short forms are refused, not guessed.
        Security.Network.CidrText.TryParse(entry, out var network, out var error)
            ? network.Value
            : throw new AdminStartupException($"Network:TrustedProxies entry '{entry}': {error}");
}
