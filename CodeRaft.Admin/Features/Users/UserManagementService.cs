using CodeRaft.Admin.Security.StepUp;

namespace CodeRaft.Admin.Features.Users;

/// <summary>
/// User management for the console (the Users page and its dialogs). Scoped: one per circuit.
///
/// Every operation is privileged: it first demands a fresh step-up for the calling component's
/// <see cref="StepUpTicket"/> (the ticket of its <c>StepUpGate</c>), then runs in <see cref="UserManagementCore"/> as the
/// circuit's signed-in user, whose CURRENT role and status the core reads from the store. Refusals come back as a
/// result with a message to show (<see cref="UserOperationResult.Message"/>) and are audited; the only exception
/// a dialog sees is <see cref="StepUpRequiredException"/>, which the step-up gate handles (challenge again).
///
/// Usage from a dialog inside <c>&lt;StepUpGate Operation="user.disable" ...&gt;</c> (operation names:
/// <see cref="UserOperations.StepUpName"/>):
/// <code>
///   var result = await Users.DisableAsync(Ticket, userId);
///   Snackbar.Add(result.Message, result.Succeeded ? Severity.Success : Severity.Warning);
/// </code>
/// </summary>
public sealed class UserManagementService(UserManagementCore core, StepUpService stepUp)
{
    /// <summary>
    /// Invites a user with a role and products (each product takes a seat; all or nothing). Local mode: the result's
    /// <see cref="InviteResult.ActivationLink"/> is the one-time link, returned only here — show it once. OIDC modes:
    /// the invitee signs in with the provider using this e-mail address. Field messages: <see cref="InviteResult.Errors"/>
    /// (the dialog can run <see cref="InviteUserInputValidator"/> itself, with <c>ValidateAsync</c>).
    /// </summary>
    public async Task<InviteResult> InviteAsync(StepUpTicket? ticket, InviteUserInput input, CancellationToken cancellationToken = default) =>
        await core.InviteAsync(await stepUp.DemandOperatorAsync(ticket, UserOperation.Invite.StepUpName(), cancellationToken), input, cancellationToken);

    /// <summary>Gives the user another role. Only Owners give or take the Owner role; never your own role; never the last active Owner's.</summary>
    public async Task<UserOperationResult> ChangeRoleAsync(StepUpTicket? ticket, Guid userId, AdminRole role, CancellationToken cancellationToken = default) =>
        await core.ChangeRoleAsync(await stepUp.DemandOperatorAsync(ticket, UserOperation.ChangeRole.StepUpName(), cancellationToken), userId, role, cancellationToken);

    /// <summary>Disables the account; its open sessions end at once. Not yourself; not the last active Owner.</summary>
    public async Task<UserOperationResult> DisableAsync(StepUpTicket? ticket, Guid userId, CancellationToken cancellationToken = default) =>
        await core.DisableAsync(await stepUp.DemandOperatorAsync(ticket, UserOperation.Disable.StepUpName(), cancellationToken), userId, cancellationToken);

    /// <summary>Enables a disabled account (back to Active, or Invited if the invitation was never completed).</summary>
    public async Task<UserOperationResult> EnableAsync(StepUpTicket? ticket, Guid userId, CancellationToken cancellationToken = default) =>
        await core.EnableAsync(await stepUp.DemandOperatorAsync(ticket, UserOperation.Enable.StepUpName(), cancellationToken), userId, cancellationToken);

    /// <summary>
    /// Resets two-factor authentication (lost device): key and recovery codes are forgotten and the user enrolls again at
    /// the next sign-in; their sessions end. <paramref name="reason"/> (optional, at most 500 characters) is audited.
    /// </summary>
    public async Task<UserOperationResult> ResetMfaAsync(StepUpTicket? ticket, Guid userId, string? reason = null, CancellationToken cancellationToken = default) =>
        await core.ResetMfaAsync(await stepUp.DemandOperatorAsync(ticket, UserOperation.ResetMfa.StepUpName(), cancellationToken), userId, reason, cancellationToken);

    /// <summary>Removes the user and frees their seats; the audit log keeps their history. Not yourself; not the last active Owner.</summary>
    public async Task<UserOperationResult> RemoveAsync(StepUpTicket? ticket, Guid userId, CancellationToken cancellationToken = default) =>
        await core.RemoveAsync(await stepUp.DemandOperatorAsync(ticket, UserOperation.Remove.StepUpName(), cancellationToken), userId, cancellationToken);

    /// <summary>Grants access to a product: takes one seat, refused when no license is installed or all seats are in use.</summary>
    public async Task<UserOperationResult> GrantProductAsync(StepUpTicket? ticket, Guid userId, Product product, CancellationToken cancellationToken = default) =>
        await core.GrantProductAsync(await stepUp.DemandOperatorAsync(ticket, UserOperation.GrantProduct.StepUpName(), cancellationToken), userId, product, cancellationToken);

    /// <summary>Revokes access to a product and frees its seat.</summary>
    public async Task<UserOperationResult> RevokeProductAsync(StepUpTicket? ticket, Guid userId, Product product, CancellationToken cancellationToken = default) =>
        await core.RevokeProductAsync(await stepUp.DemandOperatorAsync(ticket, UserOperation.RevokeProduct.StepUpName(), cancellationToken), userId, product, cancellationToken);

    /// <summary>
    /// What the signed-in user may attempt on <paramref name="targetUserId"/> (null: which roles they may invite with),
    /// for showing or hiding actions. Read-only and not privileged; the operations check everything again.
    /// </summary>
    public async Task<UserPermissionSet> GetPermissionsAsync(Guid? targetUserId, CancellationToken cancellationToken = default) =>
        await stepUp.CurrentUserIdAsync() is { } userId
            ? await core.GetPermissionsAsync(UserOperator.ConsoleUser(userId), targetUserId, cancellationToken)
            : UserPermissionSet.None;
}
