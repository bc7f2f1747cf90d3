using CodeRaft.Admin.Security.Authorization;

namespace CodeRaft.Admin.Features.Users;

/// <summary>
/// Who performs a user-management change (docs/users.md, "Who may do what").
/// <list type="bullet">
/// <item><see cref="ConsoleUser"/>: a signed-in user. The permission matrix applies, with the role and status read
/// from the store inside the change's transaction — never from the session's claims.</item>
/// <item><see cref="HostCli"/>: the operations CLI. Whoever can run it with the portal's configuration already holds
/// the master secret and the database, so a permission check would protect nothing; the platform rules (valid
/// input, last active Owner, seats) still apply and every change is audited with actor type <c>cli</c>.</item>
/// </list>
/// </summary>
public sealed class UserOperator
{
    private UserOperator(Guid? userId) => UserId = userId;

    /// <summary>The console user; null for <see cref="HostCli"/>.</summary>
    public Guid? UserId { get; }

    public bool IsHostCli => UserId is null;

    public static UserOperator HostCli { get; } = new(null);

    public static UserOperator ConsoleUser(Guid userId) =>
        userId == Guid.Empty ? throw new ArgumentException("A console user has an id.", nameof(userId)) : new(userId);

    public override string ToString() => IsHostCli ? "cli" : $"user {UserId}";
}

/// <summary>
/// The permission rules of user management, free of I/O so they can be read in one screen and tested exhaustively.
/// The last-active-Owner and seat rules need the store and live in <see cref="UserManagementCore"/>, inside the
/// audited transaction.
/// </summary>
public static class UserRules
{
    /// <summary>A user as the rules see them.</summary>
    public sealed record Subject(Guid Id, AdminRole Role, AdminUserStatus Status);

    /// <summary>
    /// Null when <paramref name="actor"/> may attempt <paramref name="operation"/> on <paramref name="target"/> (null when
    /// inviting), giving the role <paramref name="newRole"/> (invite, change role); otherwise the reason, one sentence.
    /// </summary>
    public static string? Authorize(Subject actor, UserOperation operation, Subject? target, AdminRole? newRole)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.Status != AdminUserStatus.Active)
        {
            return "Your account is not active.";
        }

        if (!actor.Role.Allows(AdminPermission.ManageUsers))
        {
            return "Only Owners and Administrators can manage users.";
        }

        if (target is not null && target.Id == actor.Id && !MayDoToSelf(actor.Role, operation))
        {
            return $"You cannot {Describe(operation)} your own account; another Owner or Administrator has to do it.";
        }

        if (target?.Role == AdminRole.Owner && !actor.Role.Allows(AdminPermission.ManageOwners))
        {
            return "Only an Owner can change an Owner's account.";
        }

        if (newRole == AdminRole.Owner && !actor.Role.Allows(AdminPermission.ManageOwners))
        {
            return "Only an Owner can make someone an Owner.";
        }

        return null;
    }

    /// <summary>
    /// Whether the change would leave one active Owner fewer: disabling, removing or demoting an active Owner. The
    /// caller refuses it when no other active Owner exists (PRODUCT.md: always at least one active Owner).
    /// </summary>
    public static bool TakesAwayActiveOwner(UserOperation operation, Subject target, AdminRole? newRole)
    {
        ArgumentNullException.ThrowIfNull(target);
        return target is { Role: AdminRole.Owner, Status: AdminUserStatus.Active }
            && (operation is UserOperation.Disable or UserOperation.Remove || (operation == UserOperation.ChangeRole && newRole != AdminRole.Owner));
    }

    /// <summary>The roles <paramref name="actor"/> may give (invite, change role).</summary>
    public static IReadOnlyList<AdminRole> AssignableRoles(Subject actor) =>
        [.. Enum.GetValues<AdminRole>().Where(role => Authorize(actor, UserOperation.Invite, null, role) is null)];

    /// <summary>
    /// Nobody changes their own role, status, MFA or existence: each such change is made — and audited — by someone
    /// else. An Owner may manage their own product access: nobody ranks above them to do it, and they could give it
    /// to themselves through a second account anyway. An Administrator may not: that would be raising their own access.
    /// </summary>
    private static bool MayDoToSelf(AdminRole role, UserOperation operation) =>
        role == AdminRole.Owner && operation is UserOperation.GrantProduct or UserOperation.RevokeProduct;

    private static string Describe(UserOperation operation) => operation switch
    {
        UserOperation.ChangeRole => "change the role of",
        UserOperation.Disable => "disable",
        UserOperation.Enable => "enable",
        UserOperation.ResetMfa => "reset two-factor authentication of",
        UserOperation.Remove => "remove",
        UserOperation.GrantProduct => "grant product access to",
        UserOperation.RevokeProduct => "revoke product access of",
        _ => "change",
    };
}
