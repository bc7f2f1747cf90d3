using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CodeRaft.Admin.Features.Network;

/// <summary>Which traffic a list governs: the console (every page, sign-in, the circuit) or the v1 API (<c>/api/</c>).</summary>
public enum AllowlistScope
{
    Ui,
    Api,
}

public static class AllowlistScopes
{
    public static string ToText(this AllowlistScope scope) => scope == AllowlistScope.Ui ? "ui" : "api";

    public static bool TryParse(string? text, out AllowlistScope scope)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "ui":
                scope = AllowlistScope.Ui;
                return true;
            case "api":
                scope = AllowlistScope.Api;
                return true;
            default:
                scope = default;
                return false;
        }
    }
}

/// <summary>One allowed range (table <c>network_allowlist</c>). <see cref="Cidr"/> is stored normalized (CidrText).</summary>
public sealed class AllowlistEntry
{
    public Guid Id { get; set; }

    public AllowlistScope Scope { get; set; }

    public required string Cidr { get; set; }

    public string Description { get; set; } = "";

    public DateTime CreatedAt { get; set; }

    public required string CreatedBy { get; set; }
}

internal sealed class AllowlistEntryConfiguration : IEntityTypeConfiguration<AllowlistEntry>
{
    public void Configure(EntityTypeBuilder<AllowlistEntry> builder)
    {
        builder.ToTable("network_allowlist");
        builder.Property(x => x.Scope).HasConversion(s => s.ToText(), s => s == "api" ? AllowlistScope.Api : AllowlistScope.Ui).HasMaxLength(8);
        builder.Property(x => x.Cidr).HasMaxLength(64);
        builder.Property(x => x.Description).HasMaxLength(AllowlistEntryInputValidator.MaxDescriptionLength);
        builder.Property(x => x.CreatedBy).HasMaxLength(256);
        builder.HasIndex(x => new { x.Scope, x.Cidr }).IsUnique();
    }
}
