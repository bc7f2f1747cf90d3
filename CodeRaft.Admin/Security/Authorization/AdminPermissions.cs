using System.Collections.Frozen;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace CodeRaft.Admin.Security.Authorization;

/// <summary>What a role may do in the console: the roles table of PRODUCT.md, as code (docs/users.md).</summary>
public enum AdminPermission
{
    /// <summary>The Users list and a user's details (read-only).</summary>
    ReadUsers,

    /// <summary>Invite, change role, disable, enable, reset MFA, remove users that are not Owners; product access.</summary>
    ManageUsers,

    /// <summary>The same for Owner accounts, and giving anyone the Owner role.</summary>
    ManageOwners,

    /// <summary>Search and read the audit log, verify its integrity.</summary>
    ReadAudit,

    /// <summary>Export the audit log (releases data in bulk).</summary>
    ExportAudit,
    ManageApiKeys,
    ManageNetwork,
    ManageSiem,
    ManageLicenses,

    /// <summary>Settings → Security: step-up grace, session timeouts.</summary>
    ManageSecuritySettings,
}

/// <summary>
/// The permission matrix. Every check — page policies (<see cref="AdminPolicies"/>) and the services' own guards —
/// reads it from here, so the table in docs/users.md and the code cannot drift apart silently (a test compares them).
/// Services check the role read from the store at the time of the change; page policies check the session's role
/// claim, which the session validator keeps equal to the stored role (a changed role ends the session).
/// </summary>
public static class AdminPermissions
{
    private static readonly AdminRole[] Everyone = [AdminRole.Owner, AdminRole.Administrator, AdminRole.Auditor, AdminRole.Viewer];
    private static readonly AdminRole[] Managers = [AdminRole.Owner, AdminRole.Administrator];
    private static readonly AdminRole[] OwnersOnly = [AdminRole.Owner];

    private static readonly FrozenDictionary<AdminPermission, AdminRole[]> Matrix = new Dictionary<AdminPermission, AdminRole[]>
    {
        [AdminPermission.ReadUsers] = Everyone,
        [AdminPermission.ManageUsers] = Managers,
        [AdminPermission.ManageOwners] = OwnersOnly,
        // Administrators read the log (the API keys page shows each key's activity from it); the bulk export is
        // the Auditor's and the Owner's (docs/users.md, "Permission matrix").
        [AdminPermission.ReadAudit] = [AdminRole.Owner, AdminRole.Administrator, AdminRole.Auditor],
        [AdminPermission.ExportAudit] = [AdminRole.Owner, AdminRole.Auditor],
        [AdminPermission.ManageApiKeys] = Managers,
        [AdminPermission.ManageNetwork] = Managers,
        [AdminPermission.ManageSiem] = Managers,
        [AdminPermission.ManageLicenses] = OwnersOnly,
        [AdminPermission.ManageSecuritySettings] = OwnersOnly,
    }.ToFrozenDictionary();

    /// <summary>The roles holding <paramref name="permission"/>; unknown permissions have none (deny by default).</summary>
    public static IReadOnlyList<AdminRole> RolesWith(AdminPermission permission) =>
        Matrix.TryGetValue(permission, out var roles) ? roles : [];

    public static bool Allows(this AdminRole role, AdminPermission permission) =>
        Enum.IsDefined(role) && RolesWith(permission).Contains(role);
}

/// <summary>
/// Authorization policies for pages and endpoints: <c>[Authorize(Policy = AdminPolicies.UsersManage)]</c>. Each one
/// also requires the full sign-in (password or provider, then TOTP), like every console screen.
/// </summary>
public static class AdminPolicies
{
    public const string UsersRead = "users.read";
    public const string UsersManage = "users.manage";
    public const string AuditRead = "audit.read";
    public const string AuditExport = "audit.export";
    public const string ApiKeysManage = "apikeys.manage";
    public const string NetworkManage = "network.manage";
    public const string SiemManage = "siem.manage";
    public const string LicensesManage = "licenses.manage";
    public const string SettingsSecurity = "settings.security";

    public static IReadOnlyDictionary<string, AdminPermission> All { get; } = new Dictionary<string, AdminPermission>
    {
        [UsersRead] = AdminPermission.ReadUsers,
        [UsersManage] = AdminPermission.ManageUsers,
        [AuditRead] = AdminPermission.ReadAudit,
        [AuditExport] = AdminPermission.ExportAudit,
        [ApiKeysManage] = AdminPermission.ManageApiKeys,
        [NetworkManage] = AdminPermission.ManageNetwork,
        [SiemManage] = AdminPermission.ManageSiem,
        [LicensesManage] = AdminPermission.ManageLicenses,
        [SettingsSecurity] = AdminPermission.ManageSecuritySettings,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static AuthorizationBuilder AddAdminPolicies(this AuthorizationBuilder builder)
    {
        foreach (var (name, permission) in All)
        {
            builder.AddPolicy(name, p => p.RequireAuthenticatedUser()
                .RequireClaim(AdminClaims.Mfa, AdminClaims.MfaTotp)
                .RequireRole(AdminPermissions.RolesWith(permission).Select(r => r.ToString())));
        }

        return builder;
    }
}
