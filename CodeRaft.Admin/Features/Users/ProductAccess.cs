using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CodeRaft.Admin.Features.Users;

/// <summary>The platform's products a user can be granted (PRODUCT.md). Stored by <see cref="Products.Id"/>.</summary>
public enum Product
{
    EntraGuard,
    Ravenscan,
    RedFoxBastion,
}

public static class Products
{
    public static IReadOnlyList<Product> All { get; } = [Product.EntraGuard, Product.Ravenscan, Product.RedFoxBastion];

    /// <summary>The stable identifier, the same as the audit chain's <c>product</c> column (CONTRACTS §3).</summary>
    public static string Id(this Product product) => product switch
    {
        Product.EntraGuard => "entraguard",
        Product.Ravenscan => "ravenscan",
        Product.RedFoxBastion => "redfox-bastion",
        _ => throw new ArgumentOutOfRangeException(nameof(product)),
    };

    public static string DisplayName(this Product product) => product switch
    {
        Product.EntraGuard => "EntraGuard",
        Product.Ravenscan => "Ravenscan",
        Product.RedFoxBastion => "RedFox Bastion",
        _ => throw new ArgumentOutOfRangeException(nameof(product)),
    };

    public static bool TryParse(string? value, out Product product)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(value, candidate.Id(), StringComparison.OrdinalIgnoreCase) ||
                string.Equals(value, candidate.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                product = candidate;
                return true;
            }
        }

        product = default;
        return false;
    }
}

/// <summary>A user's access to one product (table <c>user_product_access</c>); each row takes one seat of that product's license.</summary>
public sealed class ProductAccess
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    public Product Product { get; set; }
    public DateTime GrantedAt { get; set; }
    public string GrantedBy { get; set; } = "";
}

/// <summary>
/// A Local-mode invitation (table <c>user_invitations</c>): the one-time activation link's token is shown once
/// to the inviting admin; only its SHA-256 is stored.
/// </summary>
public sealed class UserInvitation
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    public string TokenHash { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? UsedAt { get; set; }
    public string CreatedBy { get; set; } = "";
}

internal sealed class ProductAccessConfiguration : IEntityTypeConfiguration<ProductAccess>
{
    public void Configure(EntityTypeBuilder<ProductAccess> builder)
    {
        builder.ToTable("user_product_access");
        builder.Property(x => x.Product).HasConversion(p => p.Id(), s => ParseStored(s)).HasMaxLength(32);
        builder.Property(x => x.GrantedBy).HasMaxLength(256);
        builder.HasIndex(x => new { x.UserId, x.Product }).IsUnique(); // one seat per user and product
        builder.HasIndex(x => x.Product);
        builder.HasOne<AdminUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
    }

    private static Product ParseStored(string value) =>
        Products.TryParse(value, out var product) ? product : throw new InvalidOperationException($"Unknown product '{value}' in user_product_access.");
}

internal sealed class UserInvitationConfiguration : IEntityTypeConfiguration<UserInvitation>
{
    public void Configure(EntityTypeBuilder<UserInvitation> builder)
    {
        builder.ToTable("user_invitations");
        builder.Property(x => x.TokenHash).HasMaxLength(64);
        builder.Property(x => x.CreatedBy).HasMaxLength(256);
        builder.HasIndex(x => x.TokenHash).IsUnique();
        builder.HasIndex(x => x.UserId);
        builder.HasOne<AdminUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
