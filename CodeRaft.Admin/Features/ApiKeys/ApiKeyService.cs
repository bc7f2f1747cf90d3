using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.StepUp;

namespace CodeRaft.Admin.Features.ApiKeys;

/// <summary>
/// API keys for the console (the API keys page and its dialogs). Scoped: one per circuit.
///
/// Creating and revoking are privileged: each first demands a fresh step-up for the calling component's
/// <see cref="StepUpTicket"/> (operations <see cref="CreateOperation"/> and <see cref="RevokeOperation"/>), then runs in
/// <see cref="ApiKeyManagementCore"/> as the circuit's signed-in user, whose CURRENT role and status the core reads
/// from the store inside the audited transaction. The reads (list, activity) check the stored role too, so a role
/// taken away a moment ago is not served from a stale session claim.
///
/// The plaintext of a new key exists only in <see cref="ApiKeyCreateResult.Created"/>: this service keeps no copy and
/// logs nothing about it; the dialog that asked for it is its only holder.
/// </summary>
public sealed class ApiKeyService(ApiKeyManagementCore core, StepUpService stepUp)
{
    /// <summary>The step-up operation name of creating a key (the gate's <c>Operation</c>, and in the audit log).</summary>
    public const string CreateOperation = "apikey.create";

    /// <summary>The step-up operation name of revoking a key.</summary>
    public const string RevokeOperation = "apikey.revoke";

    /// <summary>Creates a key. On success <see cref="ApiKeyCreateResult.Created"/> holds the key: show it once, then drop it.</summary>
    public async Task<ApiKeyCreateResult> CreateAsync(StepUpTicket? ticket, ApiKeyInput input, CancellationToken cancellationToken = default) =>
        await core.CreateAsync(await stepUp.DemandOperatorAsync(ticket, CreateOperation, cancellationToken), input, cancellationToken);

    /// <summary>Revokes a key: the API refuses it from the next request on. Revoking a revoked key changes nothing.</summary>
    public async Task<ApiKeyResult> RevokeAsync(StepUpTicket? ticket, Guid id, CancellationToken cancellationToken = default) =>
        await core.RevokeAsync(await stepUp.DemandOperatorAsync(ticket, RevokeOperation, cancellationToken), id, cancellationToken);

    /// <summary>Whether the signed-in user may manage API keys now (role and status from the store).</summary>
    public async Task<bool> MayManageAsync(CancellationToken cancellationToken = default) =>
        await stepUp.CurrentUserIdAsync() is { } userId && await core.MayManageAsync(UserOperator.ConsoleUser(userId), cancellationToken);

    /// <summary>All keys, newest first, and when they were read. Throws <see cref="UnauthorizedAccessException"/> when the stored role no longer allows it.</summary>
    public async Task<ApiKeyList> ListAsync(CancellationToken cancellationToken = default)
    {
        await DemandReadAsync(cancellationToken);
        return await core.ListWithCreatorsAsync(cancellationToken);
    }

    /// <summary>A key's audit entries (newest first, at most <see cref="ApiKeyActivity.DefaultLimit"/>); null when the key does not exist.</summary>
    public async Task<ApiKeyActivity?> ActivityAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await DemandReadAsync(cancellationToken);
        return await core.ActivityAsync(id, ApiKeyActivity.DefaultLimit, cancellationToken);
    }

    private async Task DemandReadAsync(CancellationToken cancellationToken)
    {
        if (!await MayManageAsync(cancellationToken))
        {
            throw new UnauthorizedAccessException("Only Owners and Administrators can see API keys.");
        }
    }
}
