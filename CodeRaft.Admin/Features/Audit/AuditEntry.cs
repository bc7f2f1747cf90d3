using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CodeRaft.Admin.Features.Audit;

/// <summary>
/// One row of the audit chain, format v1 (docs/audit-chain.md, CONTRACTS §3). Every field is text except the
/// sequence; none is NULL (a missing value is the empty string). Rows are only ever inserted, by
/// <see cref="Chain.AuditWriter"/>; the database refuses UPDATE and DELETE.
/// </summary>
public sealed class AuditEntry : IAppendOnly
{
    public long Sequence { get; set; }
    public string Timestamp { get; set; } = "";
    public string Product { get; set; } = "";
    public string Category { get; set; } = "";
    public string Action { get; set; } = "";
    public string Outcome { get; set; } = "";
    public string ActorType { get; set; } = "";
    public string ActorId { get; set; } = "";
    public string ActorName { get; set; } = "";
    public string SourceIp { get; set; } = "";
    public string TargetType { get; set; } = "";
    public string TargetId { get; set; } = "";
    public string Details { get; set; } = "{}";
    public string PreviousHash { get; set; } = "";
    public string Hash { get; set; } = "";
}

/// <summary>A signed statement "the entry at <see cref="Sequence"/> has <see cref="Hash"/>" (table audit_checkpoints).</summary>
public sealed class AuditCheckpoint : IAppendOnly
{
    public long Sequence { get; set; }
    public string Hash { get; set; } = "";
    public string Timestamp { get; set; } = "";
    public string KeyId { get; set; } = "";
    public string Signature { get; set; } = "";
}

/// <summary>Entities the application never updates or deletes (checked in SaveChanges, enforced by the database).</summary>
public interface IAppendOnly;

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> builder)
    {
        builder.ToTable("audit_entries");
        builder.HasKey(x => x.Sequence);
        builder.Property(x => x.Sequence).ValueGeneratedNever();
        foreach (var property in builder.Metadata.GetProperties().Where(p => p.ClrType == typeof(string)))
        {
            property.IsNullable = false;
        }

        // The viewer pages by sequence within a filter; these keep a filtered page an index range scan.
        builder.HasIndex(x => x.Timestamp);
        builder.HasIndex(x => new { x.Category, x.Sequence });
        builder.HasIndex(x => new { x.Outcome, x.Sequence });
        builder.HasIndex(x => new { x.Action, x.Sequence });
        builder.HasIndex(x => new { x.Product, x.Sequence });
        // A user's (or API key's) recent entries on their detail drawer, without scanning the log.
        builder.HasIndex(x => new { x.TargetId, x.Sequence });
        builder.HasIndex(x => new { x.ActorId, x.Sequence });
    }
}

internal sealed class AuditCheckpointConfiguration : IEntityTypeConfiguration<AuditCheckpoint>
{
    public void Configure(EntityTypeBuilder<AuditCheckpoint> builder)
    {
        builder.ToTable("audit_checkpoints");
        // Idle checkpoints repeat the head sequence, so the sequence alone is not unique.
        builder.HasKey(x => new { x.Sequence, x.Timestamp });
        foreach (var property in builder.Metadata.GetProperties().Where(p => p.ClrType == typeof(string)))
        {
            property.IsNullable = false;
        }

        builder.HasIndex(x => x.Timestamp);
    }
}
