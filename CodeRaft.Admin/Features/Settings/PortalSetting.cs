using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CodeRaft.Admin.Features.Settings;

/// <summary>
/// A setting an Owner changes at run time in the portal (table <c>settings</c>), as opposed to configuration read
/// at start-up. One row per key; every change is audited with its before and after values.
/// </summary>
public sealed class PortalSetting
{
    public string Key { get; set; } = "";
    public string Value { get; set; } = "";
    public DateTime UpdatedAt { get; set; }
    public string UpdatedBy { get; set; } = "";
}

internal sealed class PortalSettingConfiguration : IEntityTypeConfiguration<PortalSetting>
{
    public void Configure(EntityTypeBuilder<PortalSetting> builder)
    {
        builder.ToTable("settings");
        builder.HasKey(x => x.Key);
        builder.Property(x => x.Key).HasMaxLength(128);
        builder.Property(x => x.Value).HasMaxLength(4000);
        builder.Property(x => x.UpdatedBy).HasMaxLength(256);
    }
}
