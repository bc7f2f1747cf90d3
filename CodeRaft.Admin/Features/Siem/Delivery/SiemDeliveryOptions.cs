namespace CodeRaft.Admin.Features.Siem.Delivery;

/// <summary>Delivery tuning (configuration section <c>Siem:Delivery</c>); the defaults are documented in docs/siem.md.</summary>
public sealed class SiemDeliveryOptions
{
    /// <summary>Audit entries read and sent per batch.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>Fallback when no append signal arrives (appends by another process, e.g. the CLI).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan RetryMin { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMax { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Writing and flushing one batch; also bounds an HTTP send.</summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Syslog over TCP/TLS: when a connection is found lost, the batches sent this long before are sent again (a
    /// receiver stopping may have accepted them into its socket without processing them). ADR-012.
    /// </summary>
    public TimeSpan UnacknowledgedResendWindow { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Consecutive failures from which a target is failing (below: degraded).</summary>
    public int FailingAfterFailures { get; set; } = 5;

    /// <summary>No success for this long while behind (and at least one failure) also makes a target failing.</summary>
    public TimeSpan FailingAfterNoSuccess { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A healthy target further behind than this (events or seconds) is degraded.</summary>
    public long DegradedLagEvents { get; set; } = 10_000;

    public TimeSpan DegradedLagTime { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The jitter source, 0 ≤ x &lt; 1 (tests pin it).</summary>
    public Func<double> Jitter { get; set; } = Random.Shared.NextDouble;
}

/// <summary>Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter").</summary>
public static class SiemBackoff
{
    /// <summary>A delay in [min, cap], cap = min(max, min·2^(failures−1)): spreads retries of many targets/processes.</summary>
    public static TimeSpan Delay(int failures, TimeSpan min, TimeSpan max, double jitter)
    {
        var exponent = Math.Clamp(failures - 1, 0, 30);
        var cap = Math.Min(max.TotalMilliseconds, min.TotalMilliseconds * Math.Pow(2, exponent));
        return TimeSpan.FromMilliseconds(min.TotalMilliseconds + ((cap - min.TotalMilliseconds) * Math.Clamp(jitter, 0, 1)));
    }
}

/// <summary>A target's product/category/outcome filters (space-separated lists; empty = everything).</summary>
public sealed class SiemFilter
{
    private readonly HashSet<string>? _products;
    private readonly HashSet<string>? _categories;
    private readonly HashSet<string>? _outcomes;

    public SiemFilter(SiemTarget target)
    {
        _products = Parse(target.Products);
        _categories = Parse(target.Categories);
        _outcomes = Parse(target.Outcomes);
    }

    /// <summary>Checkpoints always pass: they are what lets the receiver prove completeness.</summary>
    public bool Matches(SiemRecord record) =>
        record.Entry is not { } e
        || ((_products?.Contains(e.Product) ?? true) && (_categories?.Contains(e.Category) ?? true) && (_outcomes?.Contains(e.Outcome) ?? true));

    private static HashSet<string>? Parse(string? list)
    {
        var items = (list ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return items.Length == 0 ? null : new HashSet<string>(items, StringComparer.OrdinalIgnoreCase);
    }
}
