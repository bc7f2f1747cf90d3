using System.Globalization;

namespace CodeRaft.Admin.Features.Siem.Syslog;

/// <summary>A syslog target's <c>host:port</c> (IPv6 literals in brackets: <c>[::1]:6514</c>).</summary>
public sealed record SyslogEndpoint(string Host, int Port)
{
    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    public static bool TryParse(string? text, out SyslogEndpoint endpoint)
    {
        endpoint = null!;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        string host;
        string port;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf("]:", StringComparison.Ordinal);
            if (close < 2)
            {
                return false;
            }

            host = text[1..close];
            port = text[(close + 2)..];
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon < 1 || text.IndexOf(':') != colon)
            {
                return false;
            }

            host = text[..colon];
            port = text[(colon + 1)..];
        }

        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535
            || Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            return false;
        }

        endpoint = new SyslogEndpoint(host, number);
        return true;
    }

    public static SyslogEndpoint Parse(string? text) =>
        TryParse(text, out var endpoint) ? endpoint : throw new SiemDeliveryException("The endpoint is not host:port.");
}
