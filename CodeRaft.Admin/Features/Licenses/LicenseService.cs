using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.StepUp;

namespace CodeRaft.Admin.Features.Licenses;

/// <summary>
/// Licenses for the console (Settings → Licenses; Owners only). Scoped: one per circuit.
///
/// Installing and removing demand a fresh step-up for the calling component's <see cref="StepUpTicket"/> (operations
/// <see cref="InstallOperation"/>, <see cref="RemoveOperation"/>), then run in <see cref="LicenseManagementCore"/> as
/// the circuit's user, whose CURRENT role the core reads from the store. The preview changes nothing and needs no
/// step-up, but the Owner role (read from the store); a key it refuses is audited. Reads check the stored role too.
/// </summary>
public sealed class LicenseService(LicenseManagementCore core, LicenseCatalog catalog, StepUpService stepUp)
{
    public const string InstallOperation = "license.install";
    public const string RemoveOperation = "license.remove";

    public async Task<LicenseCheckResult> PreviewAsync(string? key, CancellationToken cancellationToken = default) =>
        await core.PreviewAsync(await CurrentAsync(), key, cancellationToken);

    /// <summary>An uploaded license file: the verifier's file rules (strict UTF-8, BOM ignored, size) apply.</summary>
    public async Task<LicenseCheckResult> PreviewFileAsync(ReadOnlyMemory<byte> file, CancellationToken cancellationToken = default) =>
        await core.PreviewFileAsync(await CurrentAsync(), file, cancellationToken);

    public async Task<LicenseResult> InstallAsync(StepUpTicket? ticket, string? key, CancellationToken cancellationToken = default) =>
        await core.InstallAsync(await stepUp.DemandOperatorAsync(ticket, InstallOperation, cancellationToken), key, cancellationToken);

    /// <param name="expectedLicenseId">The license shown to the Owner; a different one installed by now is not removed.</param>
    public async Task<LicenseResult> RemoveAsync(StepUpTicket? ticket, Product product, Guid? expectedLicenseId, CancellationToken cancellationToken = default) =>
        await core.RemoveAsync(await stepUp.DemandOperatorAsync(ticket, RemoveOperation, cancellationToken), product, expectedLicenseId, cancellationToken);

    public async Task<bool> MayManageAsync(CancellationToken cancellationToken = default) =>
        await stepUp.CurrentUserIdAsync() is { } userId && await core.MayManageAsync(UserOperator.ConsoleUser(userId), cancellationToken);

    /// <summary>Each product's license now. Throws <see cref="UnauthorizedAccessException"/> when the stored role no longer allows it.</summary>
    public async Task<LicenseSnapshot> OverviewAsync(CancellationToken cancellationToken = default)
    {
        await DemandReadAsync(cancellationToken);
        return await catalog.GetAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<InstalledLicense>> HistoryAsync(CancellationToken cancellationToken = default)
    {
        await DemandReadAsync(cancellationToken);
        return await core.HistoryAsync(cancellationToken);
    }

    /// <summary>Users granted each product now. Throws <see cref="UnauthorizedAccessException"/> like <see cref="OverviewAsync"/>.</summary>
    public async Task<IReadOnlyDictionary<Product, int>> SeatsInUseAsync(CancellationToken cancellationToken = default)
    {
        await DemandReadAsync(cancellationToken);
        return await core.SeatsInUseAsync(cancellationToken);
    }

    public async Task<IReadOnlyDictionary<string, string>> ActorNamesAsync(IEnumerable<string?> ids, CancellationToken cancellationToken = default)
    {
        await DemandReadAsync(cancellationToken);
        return await core.ActorNamesAsync(ids, cancellationToken);
    }

    /// <summary>
    /// For the dashboard, any signed-in role (PRODUCT.md: the dashboard shows license seats and expiry): each product's
    /// state, seats used and available, and expiry — no organization, license id or key.
    /// </summary>
    public async Task<LicenseSeatsOverview> SeatsOverviewAsync(CancellationToken cancellationToken = default)
    {
        await CurrentAsync();
        var snapshot = await catalog.GetAsync(cancellationToken);
        return new LicenseSeatsOverview(snapshot, await core.SeatsInUseAsync(cancellationToken));
    }

    private async Task<UserOperator> CurrentAsync() =>
        await stepUp.CurrentUserIdAsync() is { } userId ? UserOperator.ConsoleUser(userId) : throw new UnauthorizedAccessException("Sign in first.");

    private async Task DemandReadAsync(CancellationToken cancellationToken)
    {
        if (!await MayManageAsync(cancellationToken))
        {
            throw new UnauthorizedAccessException("Only Owners can manage licenses.");
        }
    }
}

/// <summary>The licenses' states and the seats in use per product (the dashboard tile).</summary>
public sealed record LicenseSeatsOverview(LicenseSnapshot Snapshot, IReadOnlyDictionary<Product, int> SeatsInUse);
