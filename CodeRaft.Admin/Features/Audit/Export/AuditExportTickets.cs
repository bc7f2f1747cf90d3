using System.Collections.Concurrent;
using System.Security.Cryptography;
using CodeRaft.Admin.Features.Audit.Viewer;

namespace CodeRaft.Admin.Features.Audit.Export;

/// <summary>What a download ticket was issued for.</summary>
public sealed record AuditExportTicket(AuditFilter Filter, AuditExportFormat Format, DateTimeOffset ExpiresAt);

/// <summary>
/// One-time download tickets for the audit export. A browser download cannot travel over the circuit, so the
/// circuit issues a ticket bound to the filter and format, and the browser fetches
/// <c>GET /audit/export/{ticket}</c> with it: 256 random bits (unguessable, so a dictionary lookup is fine),
/// usable once, for <see cref="Lifetime"/>. Whoever holds no ticket gets nothing from the endpoint.
/// Tickets live in memory only: a restart invalidates them, which costs a click at most.
/// </summary>
public sealed class AuditExportTickets(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    /// <summary>Outstanding tickets are few (each is redeemed within seconds); the cap bounds memory regardless.</summary>
    public const int MaxOutstanding = 1000;

    /// <summary>Length of a ticket: 32 bytes in unpadded base64url.</summary>
    public const int TicketLength = 43;

    private readonly ConcurrentDictionary<string, AuditExportTicket> _tickets = new(StringComparer.Ordinal);

    public string Create(AuditFilter filter, AuditExportFormat format)
    {
        var now = time.GetUtcNow();
        foreach (var (key, ticket) in _tickets)
        {
            if (ticket.ExpiresAt <= now)
            {
                _tickets.TryRemove(key, out _);
            }
        }

        if (_tickets.Count >= MaxOutstanding)
        {
            throw new InvalidOperationException("Too many exports are pending; try again in a minute.");
        }

        var id = Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        _tickets[id] = new AuditExportTicket(filter, format, now + Lifetime);
        return id;
    }

    /// <summary>Removes the ticket whatever its state (single use), and returns it only if it has not expired.</summary>
    public AuditExportTicket? Redeem(string ticket)
    {
        if (ticket.Length != TicketLength || !_tickets.TryRemove(ticket, out var redeemed))
        {
            return null;
        }

        return redeemed.ExpiresAt > time.GetUtcNow() ? redeemed : null;
    }

    private static string Base64UrlEncode(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
