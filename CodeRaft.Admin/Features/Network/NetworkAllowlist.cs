using System.Globalization;
using System.Net;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.Network;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Features.Network;

/// <summary>
/// The allowlists as every request sees them: an immutable snapshot swapped atomically, so the per-request check
/// (<see cref="IsAllowed"/>) takes no lock and does no I/O. An EMPTY list allows every address (a fresh install
/// must be reachable; the Network page recommends adding one).
///
/// Kept current three ways: this process reloads right after its own change (<see cref="NetworkAllowlistCore"/>);
/// <see cref="NetworkAllowlistPoller"/> compares the stored version every <see cref="PollInterval"/> and reloads
/// when another process (the CLI's break-glass, another instance) changed it; <see cref="Changed"/> then tells open
/// circuits to re-check their address.
/// </summary>
public sealed class NetworkAllowlist(IDbContextFactory<AdminDbContext> contexts) : IDisposable
{
    public const string VersionKey = "network.allowlist.version";

    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile Snapshot _current = Snapshot.Empty;

    /// <summary>Raised after a reload that changed the lists.</summary>
    public event Action? Changed;

    public Snapshot Current => _current;

    public bool IsAllowed(AllowlistScope scope, IPAddress? address) => _current.IsAllowed(scope, address);

    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        // One reload at a time: a poll that read version N must not finish after the reload of N+1 and put the
        // older lists back in force.
        await _refresh.WaitAsync(cancellationToken);
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            // Version first, then the rows: a change committed in between makes the rows newer than the version,
            // and the next poll reloads; the other order could label older rows with a newer version.
            var version = await ReadVersionAsync(db, cancellationToken);
            var rows = await db.NetworkAllowlist.AsNoTracking().Select(e => new { e.Scope, e.Cidr }).ToListAsync(cancellationToken);
            var next = new Snapshot(
                version,
                IpRangeSet.Create(rows.Where(r => r.Scope == AllowlistScope.Ui).Select(r => IPNetwork.Parse(r.Cidr))),
                IpRangeSet.Create(rows.Where(r => r.Scope == AllowlistScope.Api).Select(r => IPNetwork.Parse(r.Cidr))));

            var previous = _current;
            if (next.Version < previous.Version)
            {
                return; // never replace newer lists with older ones
            }

            _current = next;
            if (previous.Version != next.Version || previous.Ui.Count != next.Ui.Count || previous.Api.Count != next.Api.Count)
            {
                Changed?.Invoke();
            }
        }
        finally
        {
            _refresh.Release();
        }
    }

    public void Dispose() => _refresh.Dispose();

    /// <summary>Installs lists without a store (the benchmark of the per-request check).</summary>
    internal void Use(Snapshot snapshot) => _current = snapshot;

    /// <summary>True when the stored version differs from the loaded one (one indexed single-row read).</summary>
    public async Task<bool> IsStaleAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await ReadVersionAsync(db, cancellationToken) != _current.Version;
    }

    private static async Task<long> ReadVersionAsync(AdminDbContext db, CancellationToken cancellationToken)
    {
        var text = await db.Settings.AsNoTracking().Where(s => s.Key == VersionKey).Select(s => s.Value).SingleOrDefaultAsync(cancellationToken);
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : 0;
    }

    public sealed record Snapshot(long Version, IpRangeSet Ui, IpRangeSet Api)
    {
        public static Snapshot Empty { get; } = new(-1, IpRangeSet.Empty, IpRangeSet.Empty);

        public IpRangeSet For(AllowlistScope scope) => scope == AllowlistScope.Ui ? Ui : Api;

        /// <summary>Empty list → allowed; otherwise the (normalized) address must be inside an entry. No address → denied.</summary>
        public bool IsAllowed(AllowlistScope scope, IPAddress? address)
        {
            var set = For(scope);
            return set.IsEmpty || (address is not null && set.Contains(address));
        }
    }
}

/// <summary>Notices changes made by other processes (the CLI, other instances) within <see cref="NetworkAllowlist.PollInterval"/>.</summary>
public sealed class NetworkAllowlistPoller(NetworkAllowlist allowlist, TimeProvider time, ILogger<NetworkAllowlistPoller> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(NetworkAllowlist.PollInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                if (await allowlist.IsStaleAsync(stoppingToken))
                {
                    await allowlist.RefreshAsync(stoppingToken);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The last loaded lists stay in force; a database hiccup must not open or close the portal.
                logger.LogWarning(ex, "Could not check the network allowlists for changes; the loaded lists stay in force.");
            }
        }
    }
}
