using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CodeRaft.Admin.Security.Encryption;

/// <summary>
/// A secret the platform itself owns (the audit checkpoint signing key, generated credentials), table
/// <c>system_secrets</c>. <see cref="Value"/> is encrypted at rest like every protected property.
/// </summary>
public sealed class SystemSecret
{
    public string Name { get; set; } = "";
    public string? Value { get; set; }
    public DateTime CreatedAt { get; set; }
}

internal sealed class SystemSecretConfiguration : IEntityTypeConfiguration<SystemSecret>
{
    public void Configure(EntityTypeBuilder<SystemSecret> builder)
    {
        builder.ToTable("system_secrets");
        builder.HasKey(x => x.Name);
        builder.Property(x => x.Name).HasMaxLength(128);
        builder.Protect(x => x.Value);
    }
}
