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
    private const string PeerItem = "coderaft.network.peer";

    public static ClientConnection Unknown { get; } = new(null, null);

    public IPAddress? ParsedAddress => IPAddress.TryParse(Address, out var address) ? Normalize(address) : null;

    /// <summary>Reads what <see cref="RememberPeer"/> and the forwarded-headers middleware left on the request.</summary>
    public static ClientConnection From(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var address = http.Connection.RemoteIpAddress is { } remote ? Normalize(remote) : null;
        var peer = http.Items.TryGetValue(PeerItem, out var value) && value is IPAddress p ? Normalize(p) : null;
        var proxy = peer is not null && !peer.Equals(address) ? peer.ToString() : null;
        return new ClientConnection(address?.ToString(), proxy);
    }

    /// <summary>Runs before the forwarded-headers middleware: the TCP peer, which it may replace with the client.</summary>
    public static Task RememberPeer(HttpContext http, RequestDelegate next)
    {
        if (http.Connection.RemoteIpAddress is { } peer)
        {
            http.Items[PeerItem] = peer;
        }

        return next(http);
    }

    public static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
