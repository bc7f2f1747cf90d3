using System.Net;

namespace CodeRaft.Admin.Infrastructure.Hosting;

/// <summary>Parses a <c>Network:TrustedProxies</c> entry: an address (a /32 or /128) or a CIDR range.</summary>
public static class TrustedProxy
{
    public static IPNetwork Parse(string entry)
    {
        var text = entry.Trim();
        if (IPNetwork.TryParse(text, out var network))
        {
            return network;
        }

        if (IPAddress.TryParse(text, out var address))
        {
            if (address.IsIPv4MappedToIPv6)
            {
                address = address.MapToIPv4();
            }

            return new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        }

        throw new AdminStartupException($"Network:TrustedProxies entry '{entry}' is not an IP address or CIDR range.");
    }
}
