using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Security.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CodeRaft.Admin.Features.Siem;

/// <summary>How events leave the portal (CONTRACTS §2 names: syslog-udp, syslog-tcp, syslog-tls, splunk-hec, webhook).</summary>
public enum SiemTargetType
{
    SyslogUdp,
    SyslogTcp,
    SyslogTls,
    SplunkHec,
    Webhook,
}

/// <summary>The message format of a syslog target (HEC and webhook always send the JSON export shape of CONTRACTS §4).</summary>
public enum SiemFormat
{
    Rfc5424,
    Cef,
    Leef,
    Json,
}

public static class SiemNames
{
    public static string ToText(this SiemTargetType type) => type switch
    {
        SiemTargetType.SyslogUdp => "syslog-udp",
        SiemTargetType.SyslogTcp => "syslog-tcp",
        SiemTargetType.SyslogTls => "syslog-tls",
        SiemTargetType.SplunkHec => "splunk-hec",
        _ => "webhook",
    };

    public static bool TryParseType(string? text, out SiemTargetType type)
    {
        foreach (var candidate in Enum.GetValues<SiemTargetType>())
        {
            if (string.Equals(candidate.ToText(), text?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                type = candidate;
                return true;
            }
        }

        type = default;
        return false;
    }

    public static string ToText(this SiemFormat format) => format.ToString().ToLowerInvariant();

    public static bool TryParseFormat(string? text, out SiemFormat format) =>
        Enum.TryParse(text?.Trim(), ignoreCase: true, out format) && Enum.IsDefined(format);

    public static bool IsSyslog(this SiemTargetType type) => type is SiemTargetType.SyslogUdp or SiemTargetType.SyslogTcp or SiemTargetType.SyslogTls;
}

/// <summary>
/// A SIEM target (table <c>siem_targets</c>). Credentials (<see cref="Secret"/>: the HEC token or the webhook signing
/// secret; <see cref="ClientCertificatePfx"/>) are encrypted at rest by the protected-property interceptor and never
/// shown again after saving.
/// </summary>
public sealed class SiemTarget
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    public SiemTargetType Type { get; set; }

    /// <summary><c>host:port</c> for syslog; an https URL for HEC and webhooks.</summary>
    public required string Endpoint { get; set; }

    public SiemFormat Format { get; set; } = SiemFormat.Rfc5424;

    /// <summary>RFC 5424 SD-ID of the audit element (CONTRACTS §8: configurable, default audit@32473).</summary>
    public string StructuredDataId { get; set; } = "audit@32473";

    /// <summary>Filters, space-separated; empty = everything. Products, categories, outcomes.</summary>
    public string Products { get; set; } = "";

    public string Categories { get; set; } = "";

    public string Outcomes { get; set; } = "";

    /// <summary>HEC token or webhook secret (encrypted at rest; write-only in the UI).</summary>
    public string? Secret { get; set; }

    /// <summary>Optional TLS client certificate, PKCS#12 as base64 (encrypted at rest).</summary>
    public string? ClientCertificatePfx { get; set; }

    /// <summary>Optional PEM of the CA (or the certificate itself) that the server's certificate must chain to; empty = the system store.</summary>
    public string TrustedCaPem { get; set; } = "";

    /// <summary>HEC: index and sourcetype (optional) and whether to poll indexer acknowledgments.</summary>
    public string HecIndex { get; set; } = "";

    public string HecSourceType { get; set; } = "";

    public bool HecAcknowledgments { get; set; }

    public bool Enabled { get; set; } = true;

    public DateTime CreatedAt { get; set; }

    public required string CreatedBy { get; set; }

    public DateTime UpdatedAt { get; set; }
}

/// <summary>
/// A target's durable delivery state (table <c>siem_delivery</c>, one row per target): the cursor over the audit
/// sequence — the last entry the receiver acknowledged. Events are never copied: delivery reads the audit log after
/// the cursor. Advanced only after a send succeeded, so delivery is at least once.
/// </summary>
public sealed class SiemDelivery
{
    public Guid TargetId { get; set; }

    public long Cursor { get; set; }

    public long Delivered { get; set; }

    public DateTime? LastSuccessAt { get; set; }

    public DateTime? LastAttemptAt { get; set; }

    public DateTime? LastErrorAt { get; set; }

    /// <summary>Redacted: never a token, secret or key.</summary>
    public string LastError { get; set; } = "";

    public int ConsecutiveFailures { get; set; }
}

internal sealed class SiemTargetConfiguration : IEntityTypeConfiguration<SiemTarget>
{
    public void Configure(EntityTypeBuilder<SiemTarget> builder)
    {
        builder.ToTable("siem_targets");
        builder.Property(x => x.Name).HasMaxLength(100);
        builder.Property(x => x.Type).HasConversion(t => t.ToText(), t => Parse(t)).HasMaxLength(16);
        builder.Property(x => x.Format).HasConversion(f => f.ToText(), f => Enum.Parse<SiemFormat>(f, true)).HasMaxLength(16);
        builder.Property(x => x.Endpoint).HasMaxLength(2048);
        builder.Property(x => x.StructuredDataId).HasMaxLength(32);
        builder.Property(x => x.Products).HasMaxLength(200);
        builder.Property(x => x.Categories).HasMaxLength(1000);
        builder.Property(x => x.Outcomes).HasMaxLength(100);
        builder.Property(x => x.TrustedCaPem).HasMaxLength(65536);
        builder.Property(x => x.HecIndex).HasMaxLength(100);
        builder.Property(x => x.HecSourceType).HasMaxLength(100);
        builder.Property(x => x.CreatedBy).HasMaxLength(256);
        builder.Protect(x => x.Secret);
        builder.Protect(x => x.ClientCertificatePfx);
        builder.HasIndex(x => x.Name).IsUnique();
    }

    private static SiemTargetType Parse(string text) => SiemNames.TryParseType(text, out var type) ? type : SiemTargetType.Webhook;
}

internal sealed class SiemDeliveryConfiguration : IEntityTypeConfiguration<SiemDelivery>
{
    public void Configure(EntityTypeBuilder<SiemDelivery> builder)
    {
        builder.ToTable("siem_delivery");
        builder.HasKey(x => x.TargetId);
        builder.Property(x => x.LastError).HasMaxLength(1000);
        builder.HasOne<SiemTarget>().WithOne().HasForeignKey<SiemDelivery>(x => x.TargetId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>What is forwarded: an audit entry, or a checkpoint (so the receiver can prove completeness and order).</summary>
public sealed record SiemRecord(AuditEntry? Entry, AuditCheckpoint? Checkpoint)
{
    /// <summary>The position in the chain: the entry's sequence, or the sequence the checkpoint covers.</summary>
    public long Sequence => Entry?.Sequence ?? Checkpoint!.Sequence;
}

/// <summary>Turns one record into one message (a syslog line without framing, or a JSON object).</summary>
public interface ISiemFormatter
{
    string Format(SiemRecord record);
}

/// <summary>
/// Sends a batch to a target and returns only when the receiver accepted all of it (TCP/TLS: written and flushed;
/// HEC: 200 (and acknowledged when enabled); webhook: 2xx). Throws <see cref="SiemDeliveryException"/> with a
/// message safe to show (no secret) when it did not; the engine then retries the same batch.
/// </summary>
public interface ISiemSender : IAsyncDisposable
{
    Task SendAsync(IReadOnlyList<SiemRecord> batch, CancellationToken cancellationToken);
}

public sealed class SiemDeliveryException(string message, TimeSpan? retryAfter = null, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>A receiver's explicit wish (HEC 503 Retry-After, webhook 429/503); null = the engine's backoff.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

public enum SiemHealth
{
    Healthy,
    Degraded,
    Failing,
    Disabled,
}

/// <summary>A target's delivery as the console shows it (in memory, kept by the delivery engine).</summary>
public sealed record SiemTargetStatus(
    Guid TargetId,
    SiemHealth Health,
    long LagEvents,
    TimeSpan? LagTime,
    long Delivered,
    DateTime? LastSuccessAt,
    DateTime? LastErrorAt,
    string LastError);

public sealed record SiemTestResult(bool Succeeded, string Message, TimeSpan Elapsed);

/// <summary>Builds the formatter of a target (the formatting part of issue 8).</summary>
public interface ISiemFormatterFactory
{
    ISiemFormatter Create(SiemTarget target);
}

/// <summary>Builds the sender of a target (the transport part of issue 8).</summary>
public interface ISiemSenderFactory
{
    ISiemSender Create(SiemTarget target);
}

/// <summary>What the console and the CLI need from the delivery engine.</summary>
public interface ISiemDeliveryControl
{
    /// <summary>Every target's status; a target the engine has not started yet is reported from the store.</summary>
    Task<IReadOnlyList<SiemTargetStatus>> StatusAsync(CancellationToken cancellationToken = default);

    /// <summary>Sends one test event (not an audit entry; marked as a test) straight to the target and reports the outcome.</summary>
    Task<SiemTestResult> SendTestAsync(Guid targetId, CancellationToken cancellationToken = default);

    /// <summary>Targets were added, changed, enabled/disabled, removed or their cursor was moved (replay): reload now.</summary>
    void TargetsChanged();
}
