using CodeRaft.Admin.Security.Encryption;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CodeRaft.Admin.Features.Users;

/// <summary>The roles of PRODUCT.md, highest first.</summary>
public enum AdminRole
{
    Owner,
    Administrator,
    Auditor,
    Viewer,
}

public enum AdminUserStatus
{
    Invited,
    Active,
    Disabled,
}

/// <summary>
/// A person who may administer the platform (table <c>users</c>). Local accounts use ASP.NET Core Identity's
/// password hash; OIDC accounts are matched by issuer + subject. The TOTP key is encrypted at rest.
/// </summary>
public sealed class AdminUser : IdentityUser<Guid>
{
    public string DisplayName { get; set; } = "";
    public AdminRole Role { get; set; } = AdminRole.Viewer;
    public AdminUserStatus Status { get; set; } = AdminUserStatus.Invited;
    public string ExternalIssuer { get; set; } = "";
    public string ExternalSubject { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public DateTime? LastSignInAt { get; set; }

    /// <summary>Base32 TOTP key; null until enrollment is activated. Protected (encrypted) column.</summary>
    public string? TotpSecret { get; set; }
    public DateTime? TotpEnabledAt { get; set; }
    /// <summary>The last accepted time step: each step is accepted once (replay protection).</summary>
    public long TotpLastStep { get; set; }
    public int TotpFailures { get; set; }
    public DateTime? TotpLockedUntil { get; set; }

    /// <summary>
    /// A new user with everything Identity expects set consistently: normalized user name and e-mail, fresh
    /// security and concurrency stamps. Every place that creates a user goes through here.
    /// </summary>
    public static AdminUser Create(string userName, string? email, string displayName, AdminRole role, AdminUserStatus status, DateTime createdAt) => new()
    {
        Id = Guid.CreateVersion7(),
        UserName = userName,
        NormalizedUserName = userName.ToUpperInvariant(),
        Email = email,
        NormalizedEmail = email?.ToUpperInvariant(),
        DisplayName = displayName,
        Role = role,
        Status = status,
        SecurityStamp = Guid.NewGuid().ToString("N"),
        ConcurrencyStamp = Guid.NewGuid().ToString(),
        LockoutEnabled = true,
        CreatedAt = createdAt,
    };
}

/// <summary>A single-use recovery code, stored as a salted SHA-256 hash (table <c>user_recovery_codes</c>).</summary>
public sealed class RecoveryCode
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    public string CodeHash { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public DateTime? UsedAt { get; set; }
}

internal sealed class AdminUserConfiguration : IEntityTypeConfiguration<AdminUser>
{
    public void Configure(EntityTypeBuilder<AdminUser> builder)
    {
        builder.ToTable("users");
        builder.Property(x => x.DisplayName).HasMaxLength(256);
        builder.Property(x => x.Role).HasConversion<string>().HasMaxLength(32);
        builder.Property(x => x.Status).HasConversion<string>().HasMaxLength(32);
        builder.Property(x => x.ExternalIssuer).HasMaxLength(512);
        builder.Property(x => x.ExternalSubject).HasMaxLength(256);
        builder.HasIndex(x => new { x.ExternalIssuer, x.ExternalSubject });
        // The Users page sorts and filters 10,000+ users server-side (issue 5).
        builder.HasIndex(x => new { x.Role, x.Status });
        builder.HasIndex(x => x.DisplayName);
        builder.HasIndex(x => x.CreatedAt);
        builder.HasIndex(x => x.LastSignInAt);
        builder.Protect(x => x.TotpSecret);
    }
}

internal sealed class RecoveryCodeConfiguration : IEntityTypeConfiguration<RecoveryCode>
{
    public void Configure(EntityTypeBuilder<RecoveryCode> builder)
    {
        builder.ToTable("user_recovery_codes");
        builder.Property(x => x.CodeHash).HasMaxLength(128);
        builder.HasIndex(x => x.UserId);
        builder.HasOne<AdminUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
