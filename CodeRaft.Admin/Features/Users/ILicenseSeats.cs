using CodeRaft.Admin.Infrastructure.Data;

namespace CodeRaft.Admin.Features.Users;

/// <summary>
/// How many users may have access to a product: the <c>maxUsers</c> of its installed, valid license. Implemented
/// by the licensing feature (issue 9); until then <see cref="NoLicenseInstalled"/> answers for every product.
///
/// Contract for implementations: answer from the license state only (no user counting: the caller counts the
/// seats in use inside its own transaction), and do not write audit entries while answering — the caller reads
/// the capacity just before it takes the audit chain's lock, and a grant that races a license change is the
/// over-allocation case the licensing feature reports ("seats 50 &lt; 63 in use").
/// </summary>
public interface ILicenseSeats
{
    /// <summary>The seats the product's valid license provides, or null when no valid license is installed.</summary>
    ValueTask<int?> GetSeatsAsync(Product product, CancellationToken cancellationToken = default);

    /// <summary>Why no seats can be granted when <see cref="GetSeatsAsync"/> answers null, as one sentence for the
    /// refusal (an expired license, a license that no longer verifies); null for the plain "no license" sentence.</summary>
    ValueTask<string?> GetUnavailableReasonAsync(Product product, CancellationToken cancellationToken = default) => ValueTask.FromResult<string?>(null);

    /// <summary>
    /// The seats again, INSIDE the caller's change (the audit chain's lock is held, <paramref name="db"/> is in its
    /// transaction): from the product's license row as this transaction sees it, so a license replaced or removed a
    /// moment ago — in any process — decides, not a cached answer. Must not write audit entries (the lock is held).
    /// </summary>
    ValueTask<int?> GetSeatsInChangeAsync(AdminDbContext db, Product product, CancellationToken cancellationToken = default) => GetSeatsAsync(product, cancellationToken);
}

/// <summary>The default until licensing exists: no license is installed, so no product seat can be granted.</summary>
public sealed class NoLicenseInstalled : ILicenseSeats
{
    public ValueTask<int?> GetSeatsAsync(Product product, CancellationToken cancellationToken = default) => ValueTask.FromResult<int?>(null);
}
