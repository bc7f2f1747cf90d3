using System.Collections.Concurrent;
using System.Globalization;
using CodeRaft.Admin.Features.Audit.Chain;
using Microsoft.Extensions.Options;

namespace CodeRaft.Admin.Security.Throttling;

/// <summary>Security:DenialAudit — how many distinct sources a minute of denials may name one by one.</summary>
public sealed class DenialAuditOptions
{
    /// <summary>Distinct (action, subject) pairs tracked per minute (1–100,000, default 1,000); the rest are counted in one entry per action.</summary>
    public int MaxSubjectsPerMinute { get; set; } = 1000;

    internal int EffectiveMaxSubjects => Math.Clamp(MaxSubjectsPerMinute, 1, 100_000);
}

/// <summary>
/// One refused request, as the audit log should count it. <paramref name="Subject"/> is what is counted per minute
/// (an API key's identifier, a source address); the other fields are copied into the entry.
/// </summary>
public sealed record Denial(string Category, string Action, string Subject, AuditActor Actor, string SourceIp, string Path)
{
    public string TargetType { get; init; } = "";

    public string TargetId { get; init; } = "";
}

/// <summary>
/// Turns floods of refusals (rate limits, later allowlist blocks) into at most one audit entry per action, subject
/// and minute, carrying the count — the chain gets a record of every refusal without one entry per request.
///
///   Record   — on the request path, in memory only: no database work for a refused request;
///   flush    — every <see cref="FlushInterval"/> each minute that is over becomes one entry per (action, subject),
///              appended in one batch; on shutdown the open minute is written too (its window ends then);
///   bounded  — at most <see cref="DenialAuditOptions.MaxSubjectsPerMinute"/> subjects are tracked; beyond that a
///              scan from many addresses is counted in one overflow entry per action and minute;
///   failure  — if the append fails the entries are kept (up to a bound) and retried at the next flush.
/// </summary>
public sealed class DenialAggregator(AuditWriter audit, TimeProvider time, IOptions<DenialAuditOptions> options, ILogger<DenialAggregator> logger)
    : BackgroundService
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(10);
    private const int MaxPathsPerEntry = 3;
    private const int MaxPathLength = 200;
    private const int MaxUnsent = 10_000;

    private readonly ConcurrentDictionary<(string Action, string Subject, long Window), Tally> _tallies = new();
    private readonly ConcurrentDictionary<(string Action, long Window), Tally> _overflow = new();
    private readonly SemaphoreSlim _flushLock = new(1, 1); // never disposed: StopAsync may run again after the host is disposed
    private readonly AuditEventValidator _validator = new();
    private List<AuditEvent> _unsent = [];
    private int _tracked;

    /// <summary>Counts one refusal. Cheap and synchronous: the entry is written when its minute is over.</summary>
    public void Record(Denial denial)
    {
        ArgumentNullException.ThrowIfNull(denial);
        var path = denial.Path.Length > MaxPathLength ? denial.Path[..MaxPathLength] : denial.Path;
        while (!TallyFor(denial).TryAdd(path))
        {
            // That tally was just flushed (its minute ended in between): count in the next one.
        }
    }

    /// <summary>Writes every finished minute (and with <paramref name="includeOpenWindow"/> the current one too).</summary>
    public async Task FlushAsync(bool includeOpenWindow = false, CancellationToken cancellationToken = default)
    {
        await _flushLock.WaitAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            var current = WindowOf(now);
            var events = new List<AuditEvent>(_unsent);
            // In a stable order (minute, action, subject), so the log reads the same however the threads raced.
            foreach (var (key, tally) in _tallies.OrderBy(p => p.Key.Window).ThenBy(p => p.Key.Action, StringComparer.Ordinal).ThenBy(p => p.Key.Subject, StringComparer.Ordinal))
            {
                if ((includeOpenWindow || key.Window < current) && _tallies.TryRemove(new(key, tally)))
                {
                    Interlocked.Decrement(ref _tracked);
                    events.Add(ToEvent(tally, key.Window, now, overflow: false));
                }
            }

            foreach (var (key, tally) in _overflow.OrderBy(p => p.Key.Window).ThenBy(p => p.Key.Action, StringComparer.Ordinal))
            {
                if ((includeOpenWindow || key.Window < current) && _overflow.TryRemove(new(key, tally)))
                {
                    events.Add(ToEvent(tally, key.Window, now, overflow: true));
                }
            }

            if (events.Count == 0)
            {
                return;
            }

            try
            {
                await audit.AppendBatchAsync(events, cancellationToken);
                _unsent = [];
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Kept for the next flush; bounded, so a long outage cannot exhaust memory.
                logger.LogError(ex, "Could not write {Count} aggregated denial entries to the audit log; retrying at the next flush.", events.Count);
                _unsent = events.Count > MaxUnsent ? events[^MaxUnsent..] : events;
            }
        }
        finally
        {
            _flushLock.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(cancellationToken: stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: StopAsync writes what is left.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(includeOpenWindow: true, cancellationToken);
    }

    private static long WindowOf(DateTimeOffset at) => at.UtcTicks / Window.Ticks;

    private Tally TallyFor(Denial denial)
    {
        var window = WindowOf(time.GetUtcNow());
        var key = (denial.Action, denial.Subject, window);
        if (_tallies.TryGetValue(key, out var tally))
        {
            return tally;
        }

        if (Interlocked.Increment(ref _tracked) > options.Value.EffectiveMaxSubjects)
        {
            Interlocked.Decrement(ref _tracked);
            return _overflow.GetOrAdd((denial.Action, window), _ => new Tally(denial with
            {
                Subject = "",
                Actor = AuditActor.Anonymous,
                SourceIp = "",
                TargetType = "",
                TargetId = "",
            }));
        }

        Tally? created = null;
        tally = _tallies.GetOrAdd(key, _ => created = new Tally(denial));
        if (!ReferenceEquals(tally, created))
        {
            Interlocked.Decrement(ref _tracked); // another request added it first
        }

        return tally;
    }

    private AuditEvent ToEvent(Tally tally, long window, DateTimeOffset now, bool overflow)
    {
        var (count, paths) = tally.Close();
        var start = new DateTimeOffset(window * Window.Ticks, TimeSpan.Zero);
        var end = start + Window < now ? start + Window : now;
        var details = AuditDetails.Of(
            ("count", count),
            ("windowStart", start.ToString("O", CultureInfo.InvariantCulture)),
            ("windowEnd", end.ToString("O", CultureInfo.InvariantCulture)),
            ("paths", paths));
        if (overflow)
        {
            details["note"] = $"requests from sources beyond the {options.Value.EffectiveMaxSubjects} tracked one by one in this minute";
        }

        var denial = tally.Denial;
        var auditEvent = new AuditEvent
        {
            Category = denial.Category,
            Action = denial.Action,
            Outcome = AuditVocabulary.Denied,
            Actor = denial.Actor,
            SourceIp = denial.SourceIp,
            TargetType = denial.TargetType,
            TargetId = denial.TargetId,
            Details = details,
        };
        if (!_validator.Validate(auditEvent).IsValid)
        {
            // One odd value (e.g. a path) must not keep the whole batch out of the log: keep the count only.
            details.Remove("paths");
            auditEvent = auditEvent with { Actor = AuditActor.Anonymous, SourceIp = "", TargetType = "", TargetId = "" };
        }

        return auditEvent;
    }

    /// <summary>The count of one (action, subject, minute); closed once it has been turned into an entry.</summary>
    private sealed class Tally(Denial denial)
    {
        private readonly List<string> _paths = [];
        private long _count;
        private bool _closed;

        public Denial Denial { get; } = denial;

        public bool TryAdd(string path)
        {
            lock (_paths)
            {
                if (_closed)
                {
                    return false;
                }

                _count++;
                if (_paths.Count < MaxPathsPerEntry && !_paths.Contains(path, StringComparer.Ordinal))
                {
                    _paths.Add(path);
                }

                return true;
            }
        }

        public (long Count, string[] Paths) Close()
        {
            lock (_paths)
            {
                _closed = true;
                return (_count, [.. _paths]);
            }
        }
    }
}

public static class DenialAuditFeature
{
    /// <summary>The aggregator and its flush loop; safe to call from every feature that records denials.</summary>
    public static IServiceCollection AddDenialAudit(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(DenialAggregator)))
        {
            return services;
        }

        services.AddOptions<DenialAuditOptions>().BindConfiguration("Security:DenialAudit");
        services.AddSingleton<DenialAggregator>();
        services.AddHostedService(sp => sp.GetRequiredService<DenialAggregator>());
        return services;
    }
}
