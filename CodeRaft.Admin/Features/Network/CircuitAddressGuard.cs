using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.SignalR;

namespace CodeRaft.Admin.Features.Network;

/// <summary>
/// Ends open console circuits whose source address an allowlist change no longer allows. The allowlist middleware
/// only sees new HTTP requests; a Blazor circuit is one long-lived connection, so without this a session opened
/// before the change would keep working. A SignalR hub filter (it sees every connection of the console's hub, with
/// the address the middleware saw, i.e. after trusted proxies) remembers each connection's address; on
/// <see cref="NetworkAllowlist.Changed"/> the ones outside the new ui list are aborted. The browser's reconnect
/// then goes through the middleware again and gets the 403.
/// </summary>
public sealed class CircuitAddressGuard : IHubFilter, IDisposable
{
    private readonly ConcurrentDictionary<string, (HubCallerContext Connection, IPAddress? Address)> _connections = new();
    private readonly NetworkAllowlist _allowlist;

    public CircuitAddressGuard(NetworkAllowlist allowlist)
    {
        _allowlist = allowlist;
        _allowlist.Changed += EndDisallowedConnections;
    }

    /// <summary>Open connections (for tests and diagnostics).</summary>
    public int Count => _connections.Count;

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        var address = context.Context.GetHttpContext()?.Connection.RemoteIpAddress;
        _connections[context.Context.ConnectionId] = (context.Context, address);
        await next(context);
        // The list may have changed between the upgrade request and now.
        if (!_allowlist.IsAllowed(AllowlistScope.Ui, address))
        {
            context.Context.Abort();
        }
    }

    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        _connections.TryRemove(context.Context.ConnectionId, out _);
        await next(context, exception);
    }

    public void Dispose() => _allowlist.Changed -= EndDisallowedConnections;

    private void EndDisallowedConnections()
    {
        var snapshot = _allowlist.Current;
        foreach (var (_, (connection, address)) in _connections)
        {
            if (!snapshot.IsAllowed(AllowlistScope.Ui, address))
            {
                connection.Abort();
            }
        }
    }
}
