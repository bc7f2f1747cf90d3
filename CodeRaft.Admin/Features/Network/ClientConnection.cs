using System.Net;

namespace CodeRaft.Admin.Features.Network;

/// <summary>
/// The browser's address as the portal sees it when the page is loaded (after trusted proxies), and the proxy it
/// came through, if any. Captured from the page request by App.razor and handed to the interactive root component
/// as a parameter (which Blazor protects with Data Protection, so the browser cannot change it), because inside a
/// circuit there is no HttpContext to ask. The Network page uses it for "your address" and the lock-out preview.
/// </summary>
public sealed record ClientConnection(string? Address, string? Proxy)
{
    private const string ProxyItem = "coderaft.network.proxy";

    public static ClientConnection Unknown { get; } = new(null, null);

    /// <summary>A method, not a property: the record is serialized as a root component parameter (strings only).</summary>
    public IPAddress? ParseAddress() => IPAddress.TryParse(Address, out var address) ? Normalize(address) : null;

    /// <summary>Reads what <see cref="RememberProxy"/> and the forwarded-headers middleware left on the request.</summary>
    public static ClientConnection From(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var address = http.Connection.RemoteIpAddress is { } remote ? Normalize(remote) : null;
        var proxy = http.Items.TryGetValue(ProxyItem, out var value) && value is IPAddress p ? Normalize(p).ToString() : null;
        return new ClientConnection(address?.ToString(), proxy);
    }

    /// <summary>
    /// Runs just before the forwarded-headers middleware: when the TCP peer is a trusted proxy and sent
    /// X-Forwarded-For (so the middleware is about to replace the peer with the client), the peer is remembered.
    /// </summary>
    public static Func<HttpContext, RequestDelegate, Task> RememberProxy(Security.Network.IpRangeSet trustedProxies) => (http, next) =>
    {
        if (http.Connection.RemoteIpAddress is { } peer && trustedProxies.Contains(peer) && http.Request.Headers.ContainsKey("X-Forwarded-For"))
        {
            http.Items[ProxyItem] = peer;
        }

        return next(http);
    };

    public static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
