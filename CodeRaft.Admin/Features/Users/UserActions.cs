using CodeRaft.Admin.Features.Users.Directory;

namespace CodeRaft.Admin.Features.Users;

/// <summary>A user action picked on the Users page: the operation, on whom, with what the signed-in user may do to them.</summary>
public sealed record UserActionRequest(UserRow User, UserOperation Operation, UserPermissionSet Permissions);

/// <summary>
/// Which actions the Users page offers on a user, and their names on screen. Offering is a convenience only: every
/// operation checks permission, state and step-up again on the server (<see cref="UserManagementService"/>).
/// </summary>
public static class UserActions
{
    /// <summary>The operations on an existing user, in menu order.</summary>
    public static IReadOnlyList<UserOperation> MenuOrder { get; } =
    [
        UserOperation.ChangeRole,
        UserOperation.GrantProduct,
        UserOperation.RevokeProduct,
        UserOperation.ResetMfa,
        UserOperation.Disable,
        UserOperation.Enable,
        UserOperation.Remove,
    ];

    /// <summary>
    /// What to offer on <paramref name="user"/>: what <paramref name="permissions"/> allow, minus what the user's state
    /// makes pointless (enabling an enabled user, resetting MFA nobody enrolled, revoking a product nobody holds).
    /// </summary>
    public static IReadOnlyList<UserOperation> Offered(UserRow user, UserPermissionSet permissions)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(permissions);
        return [.. MenuOrder.Where(op => permissions.Allows(op) && op switch
        {
            UserOperation.ChangeRole => permissions.AssignableRoles.Any(role => role != user.Role),
            UserOperation.Disable => user.Status != AdminUserStatus.Disabled,
            UserOperation.Enable => user.Status == AdminUserStatus.Disabled,
            UserOperation.ResetMfa => user.MfaEnrolled,
            UserOperation.GrantProduct => Products.All.Any(p => !user.Products.Contains(p)),
            UserOperation.RevokeProduct => user.Products.Count > 0,
            _ => true,
        })];
    }

    /// <summary>The menu entry.</summary>
    public static string Label(this UserOperation operation) => operation switch
    {
        UserOperation.Invite => "Invite user",
        UserOperation.ChangeRole => "Change role…",
        UserOperation.Disable => "Disable…",
        UserOperation.Enable => "Enable…",
        UserOperation.ResetMfa => "Reset two-factor authentication…",
        UserOperation.Remove => "Remove…",
        UserOperation.GrantProduct => "Grant product access…",
        UserOperation.RevokeProduct => "Revoke product access…",
        _ => operation.ToString(),
    };

    /// <summary>The dialog's title.</summary>
    public static string Title(this UserOperation operation) => operation switch
    {
        UserOperation.Invite => "Invite user",
        UserOperation.ChangeRole => "Change role",
        UserOperation.Disable => "Disable user",
        UserOperation.Enable => "Enable user",
        UserOperation.ResetMfa => "Reset two-factor authentication",
        UserOperation.Remove => "Remove user",
        UserOperation.GrantProduct => "Grant product access",
        UserOperation.RevokeProduct => "Revoke product access",
        _ => operation.ToString(),
    };

    /// <summary>A stable name for test hooks (<c>data-action</c>): the step-up name without its prefix, e.g. <c>disable</c>.</summary>
    public static string HookName(this UserOperation operation) => operation.StepUpName()["user.".Length..];
}
