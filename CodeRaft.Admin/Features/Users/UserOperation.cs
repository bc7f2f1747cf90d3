namespace CodeRaft.Admin.Features.Users;

/// <summary>The user-management operations. Each is privileged in the console (step-up) and audited in category <c>users</c>.</summary>
public enum UserOperation
{
    Invite,
    ChangeRole,
    Disable,
    Enable,
    ResetMfa,
    Remove,
    GrantProduct,
    RevokeProduct,
}

public static class UserOperations
{
    public static IReadOnlyList<UserOperation> All { get; } = Enum.GetValues<UserOperation>();

    /// <summary>The name a step-up gate and <c>StepUpService.DemandAsync</c> use for the operation, e.g. <c>user.disable</c>.</summary>
    public static string StepUpName(this UserOperation operation) => operation switch
    {
        UserOperation.Invite => "user.invite",
        UserOperation.ChangeRole => "user.change_role",
        UserOperation.Disable => "user.disable",
        UserOperation.Enable => "user.enable",
        UserOperation.ResetMfa => "user.reset_mfa",
        UserOperation.Remove => "user.remove",
        UserOperation.GrantProduct => "user.grant_product",
        UserOperation.RevokeProduct => "user.revoke_product",
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };

    /// <summary>The audit action, the same for success and refusal (the outcome column tells which).</summary>
    public static string AuditAction(this UserOperation operation) => operation switch
    {
        UserOperation.Invite => "user.invited",
        UserOperation.ChangeRole => "user.role_changed",
        UserOperation.Disable => "user.disabled",
        UserOperation.Enable => "user.enabled",
        UserOperation.ResetMfa => "user.mfa_reset",
        UserOperation.Remove => "user.removed",
        UserOperation.GrantProduct => "user.product_granted",
        UserOperation.RevokeProduct => "user.product_revoked",
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };
}

public enum UserOperationOutcome
{
    /// <summary>Done and audited.</summary>
    Succeeded,

    /// <summary>A rule refused it (permission, own account, Owners, last active Owner, seats); audited as denied.</summary>
    Denied,

    /// <summary>The input is not acceptable (<see cref="UserOperationResult.Message"/> says why); nothing was attempted.</summary>
    Invalid,

    /// <summary>The user does not exist (any more).</summary>
    NotFound,

    /// <summary>Nothing to do: the user is already in the requested state.</summary>
    Unchanged,
}

/// <summary>What the UI shows after an operation: <see cref="Message"/> is one or more sentences for a person.</summary>
public record UserOperationResult(UserOperationOutcome Outcome, string Message)
{
    public bool Succeeded => Outcome == UserOperationOutcome.Succeeded;
}

/// <summary>
/// The result of an invitation. In Local mode <see cref="ActivationLink"/> is the one-time link
/// (<c>/account/activate?token=…</c>, relative to the portal's address); it exists only in this object: show it
/// once, the store keeps only its hash. Null in the OIDC modes, where the invitee simply signs in.
/// </summary>
public sealed record InviteResult(UserOperationOutcome Outcome, string Message, Guid? UserId = null, string? ActivationLink = null,
    DateTimeOffset? ActivationLinkExpiresAt = null) : UserOperationResult(Outcome, Message)
{
    /// <summary>Validation messages, one sentence each (also joined into <see cref="UserOperationResult.Message"/>).</summary>
    public IReadOnlyList<string> Errors { get; init; } = [];

    // The link is a credential: keep it out of logs and debugger displays of the record.
    public override string ToString() => $"InviteResult {{ Outcome = {Outcome}, UserId = {UserId}, ActivationLink = {(ActivationLink is null ? "none" : "[redacted]")} }}";
}

/// <summary>What the signed-in user may attempt on a user (or, with no user, when inviting): for enabling buttons.</summary>
public sealed record UserPermissionSet(IReadOnlySet<UserOperation> Operations, IReadOnlyList<AdminRole> AssignableRoles)
{
    public static UserPermissionSet None { get; } = new(new HashSet<UserOperation>(), []);

    public bool Allows(UserOperation operation) => Operations.Contains(operation);
}
