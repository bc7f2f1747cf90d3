using System.Security.Claims;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.Authentication;
using CodeRaft.Admin.Security.Authorization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRaft.Admin.Tests.Security.Authorization;

public sealed class AdminPermissionsTests
{
    /// <summary>PRODUCT.md's roles table, written out: permission → the roles that hold it.</summary>
    public static TheoryData<AdminPermission, AdminRole[]> Matrix => new()
    {
        { AdminPermission.ReadUsers, [AdminRole.Owner, AdminRole.Administrator, AdminRole.Auditor, AdminRole.Viewer] },
        { AdminPermission.ManageUsers, [AdminRole.Owner, AdminRole.Administrator] },
        { AdminPermission.ManageOwners, [AdminRole.Owner] },
        { AdminPermission.ReadAudit, [AdminRole.Owner, AdminRole.Administrator, AdminRole.Auditor] },
        { AdminPermission.ExportAudit, [AdminRole.Owner, AdminRole.Auditor] },
        { AdminPermission.ManageApiKeys, [AdminRole.Owner, AdminRole.Administrator] },
        { AdminPermission.ManageNetwork, [AdminRole.Owner, AdminRole.Administrator] },
        { AdminPermission.ManageSiem, [AdminRole.Owner, AdminRole.Administrator] },
        { AdminPermission.ManageLicenses, [AdminRole.Owner] },
        { AdminPermission.ManageSecuritySettings, [AdminRole.Owner] },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public void Allows_EveryRole_AsInTheRolesTable(AdminPermission permission, AdminRole[] holders)
    {
        foreach (var role in Enum.GetValues<AdminRole>())
        {
            Assert.Equal(holders.Contains(role), role.Allows(permission));
        }
    }

    [Fact]
    public void Matrix_CoversEveryPermission()
    {
        Assert.Equal(Enum.GetValues<AdminPermission>().Order(), Matrix.Select(row => (AdminPermission)row[0]).Order());
    }

    [Fact]
    public void Allows_UndefinedRoleOrPermission_Denied()
    {
        Assert.False(((AdminRole)42).Allows(AdminPermission.ReadUsers));
        Assert.False(AdminRole.Owner.Allows((AdminPermission)42));
    }

    [Theory]
    [InlineData(AdminPolicies.UsersManage, AdminPermission.ManageUsers)]
    [InlineData(AdminPolicies.AuditRead, AdminPermission.ReadAudit)]
    [InlineData(AdminPolicies.SettingsSecurity, AdminPermission.ManageSecuritySettings)]
    [InlineData(AdminPolicies.LicensesManage, AdminPermission.ManageLicenses)]
    [InlineData(AdminPolicies.ApiKeysManage, AdminPermission.ManageApiKeys)]
    [InlineData(AdminPolicies.NetworkManage, AdminPermission.ManageNetwork)]
    [InlineData(AdminPolicies.SiemManage, AdminPermission.ManageSiem)]
    public async Task Policy_EachRoleFullySignedIn_AllowedExactlyAsTheMatrix(string policy, AdminPermission permission)
    {
        var authorization = Authorization();

        foreach (var role in Enum.GetValues<AdminRole>())
        {
            var result = await authorization.AuthorizeAsync(Principal(role, mfa: true), policy);
            Assert.True(result.Succeeded == role.Allows(permission), $"{policy} for {role}");
        }
    }

    [Theory]
    [MemberData(nameof(PolicyNames))]
    public async Task Policy_OwnerWithoutSecondFactor_Refused(string policy)
    {
        var result = await Authorization().AuthorizeAsync(Principal(AdminRole.Owner, mfa: false), policy);

        Assert.False(result.Succeeded);
    }

    public static TheoryData<string> PolicyNames() => [.. AdminPolicies.All.Keys];

    [Fact]
    public void UsersDoc_PermissionMatrixTable_SameAsTheCode()
    {
        var doc = File.ReadAllLines(Path.Combine(RepositoryRoot(), "docs", "users.md"));
        var start = Array.IndexOf(doc, "## Permission matrix");
        var rows = doc.Skip(start).SkipWhile(l => !l.StartsWith("| permission", StringComparison.Ordinal)).Skip(2)
            .TakeWhile(l => l.StartsWith('|')).ToList();
        var roles = new[] { AdminRole.Owner, AdminRole.Administrator, AdminRole.Auditor, AdminRole.Viewer };

        var documented = rows.Select(row => row.Split('|', StringSplitOptions.TrimEntries)).ToDictionary(
            cells => Enum.Parse<AdminPermission>(cells[1].Split('`')[1]),
            cells => (Roles: roles.Where((_, i) => cells[2 + i] == "✓").ToArray(), Policy: cells[6].Trim('`')));

        Assert.Equal(Enum.GetValues<AdminPermission>().Order(), documented.Keys.Order());
        foreach (var (permission, (holders, policy)) in documented)
        {
            Assert.Equal(AdminPermissions.RolesWith(permission), holders);
            Assert.Equal(AdminPolicies.All.SingleOrDefault(p => p.Value == permission).Key ?? "—", policy);
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory!.FullName, "Admin.sln")))
        {
            directory = directory.Parent;
        }

        return directory.FullName;
    }

    private static IAuthorizationService Authorization() => new ServiceCollection()
        .AddLogging()
        .AddAuthorizationBuilder().AddAdminPolicies().Services
        .BuildServiceProvider()
        .GetRequiredService<IAuthorizationService>();

    private static ClaimsPrincipal Principal(AdminRole role, bool mfa)
    {
        List<Claim> claims = [new(ClaimTypes.NameIdentifier, Guid.NewGuid().ToString()), new(ClaimTypes.Role, role.ToString())];
        if (mfa)
        {
            claims.Add(new Claim(AdminClaims.Mfa, AdminClaims.MfaTotp));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, "test", ClaimTypes.Name, ClaimTypes.Role));
    }
}
