using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CodeRaft.Admin.Features.Licenses;

/// <summary>
/// A license that was installed (table <c>licenses</c>). Rows are never deleted: replacing or removing a license sets
/// <see cref="RemovedAt"/>, so the table is the license history. At most one row per product has no
/// <see cref="RemovedAt"/> (the installed one; kept so by the install path, which runs under the audit chain's lock).
///
/// <see cref="Key"/> is the whole signed key, and it is what counts: it is verified again whenever the installed
/// licenses are loaded, so a row edited in the database (more seats, a later expiry) is not honoured. The other
/// columns are a readable copy for the history.
/// </summary>
public sealed class InstalledLicense
{
    public Guid Id { get; set; }
    public Guid LicenseId { get; set; }
    public string Product { get; set; } = "";
    public string OrganizationId { get; set; } = "";
    public string OrganizationName { get; set; } = "";
    public string Plan { get; set; } = "";

    /// <summary>The payload's features, comma-separated (feature names cannot contain commas).</summary>
    public string Features { get; set; } = "";

    public int MaxUsers { get; set; }
    public DateTime IssuedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public string Key { get; set; } = "";
    public string KeyFingerprint { get; set; } = "";
    public DateTime InstalledAt { get; set; }
    public string InstalledBy { get; set; } = "";
    public DateTime? RemovedAt { get; set; }
    public string? RemovedBy { get; set; }

    /// <summary>"replaced" (by a newer install of the same product) or "removed".</summary>
    public string? RemovedHow { get; set; }

    public static InstalledLicense From(License license, DateTime installedAt, string installedBy) => new()
    {
        Id = Guid.CreateVersion7(),
        LicenseId = license.LicenseId,
        Product = Users.Products.Id(license.Product),
        OrganizationId = license.OrganizationId,
        OrganizationName = license.OrganizationName,
        Plan = license.PlanText,
        Features = string.Join(',', license.Features),
        MaxUsers = license.MaxUsers,
        IssuedAt = license.IssuedAt.UtcDateTime,
        ExpiresAt = license.ExpiresAt.UtcDateTime,
        Key = license.Key,
        KeyFingerprint = license.KeyFingerprint,
        InstalledAt = installedAt,
        InstalledBy = installedBy,
    };
}

internal sealed class InstalledLicenseConfiguration : IEntityTypeConfiguration<InstalledLicense>
{
    public void Configure(EntityTypeBuilder<InstalledLicense> builder)
    {
        builder.ToTable("licenses");
        builder.HasKey(x => x.Id);
        builder.Property(x => x.Product).HasMaxLength(32);
        builder.Property(x => x.OrganizationId).HasMaxLength(128);
        builder.Property(x => x.OrganizationName).HasMaxLength(200);
        builder.Property(x => x.Plan).HasMaxLength(16);
        builder.Property(x => x.Features).HasMaxLength(4200);
        builder.Property(x => x.Key).HasMaxLength(LicenseVerifier.MaxKeyLength);
        builder.Property(x => x.KeyFingerprint).HasMaxLength(64);
        builder.Property(x => x.InstalledBy).HasMaxLength(64);
        builder.Property(x => x.RemovedBy).HasMaxLength(64);
        builder.Property(x => x.RemovedHow).HasMaxLength(16);
        builder.HasIndex(x => new { x.Product, x.RemovedAt });
    }
}
