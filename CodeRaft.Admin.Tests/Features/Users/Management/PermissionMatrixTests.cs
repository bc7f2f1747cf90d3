using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.StepUp;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Tests.Features.Users.Management;

/// <summary>One store for the whole matrix; an extra active Owner keeps the last-Owner rule out of the way.</summary>
public sealed class UsersMatrixFixture : IAsyncLifetime
{
    private readonly TempDirectory _data = new();

    internal UsersWorld World { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        World = await UsersWorld.StartAsync(_data.Path, TestSecrets.NewMasterSecret());
        await World.SeedAsync(AdminRole.Owner, email: "keeper@example.test");
    }

    public async Task DisposeAsync()
    {
        await World.DisposeAsync();
        _data.Dispose();
    }
}

/// <summary>
/// The full permission matrix, server-side through <see cref="UserManagementService"/> with step-up satisfied, so the
/// rules are what decides: every role × every operation × every target role (and every new role where one is given).
/// </summary>
public sealed class PermissionMatrixTests(UsersMatrixFixture fixture) : IClassFixture<UsersMatrixFixture>
{
    private UsersWorld World => fixture.World;

    /// <summary>
    /// PRODUCT.md, read independently of the production code: Owners do everything; Administrators manage users that
    /// are not Owners and cannot make anyone an Owner; Auditors and Viewers manage nothing.
    /// </summary>
    private static bool Expected(AdminRole actor, AdminRole? target, AdminRole? newRole) => actor switch
    {
        AdminRole.Owner => true,
        AdminRole.Administrator => target != AdminRole.Owner && newRole != AdminRole.Owner,
        _ => false,
    };

    public static TheoryData<AdminRole, UserOperation, AdminRole, AdminRole> Cases()
    {
        var data = new TheoryData<AdminRole, UserOperation, AdminRole, AdminRole>();
        var roles = Enum.GetValues<AdminRole>();
        foreach (var actor in roles)
        {
            foreach (var newRole in roles)
            {
                data.Add(actor, UserOperation.Invite, AdminRole.Viewer, newRole);
            }

            foreach (var target in roles)
            {
                foreach (var newRole in roles.Where(r => r != target))
                {
                    data.Add(actor, UserOperation.ChangeRole, target, newRole);
                }

                foreach (var operation in UserOperations.All.Where(o => o is not (UserOperation.Invite or UserOperation.ChangeRole)))
                {
                    data.Add(actor, operation, target, AdminRole.Viewer);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Operation_ActorRoleOnTargetRole_MatrixDecides(AdminRole actorRole, UserOperation operation, AdminRole targetRole, AdminRole newRole)
    {
        var actorId = await World.SeedAsync(actorRole);
        var (users, ticket) = await World.SteppedUpCircuitAsync(actorId);
        var targetId = operation == UserOperation.Invite ? Guid.Empty : await SeedTargetAsync(operation, targetRole);
        var allowed = Expected(actorRole, operation == UserOperation.Invite ? null : targetRole,
            operation is UserOperation.Invite or UserOperation.ChangeRole ? newRole : null);
        var inviteEmail = $"invitee-{Guid.NewGuid():N}@example.test";
        var before = await StateAsync(targetId);
        var head = await World.AuditHeadAsync();

        var result = await RunAsync(users, ticket, operation, targetId, newRole, inviteEmail);

        var entry = Assert.Single(await World.UsersAuditAsync(), e => e.Sequence > head);
        Assert.Equal((operation.AuditAction(), "user", actorId.ToString()), (entry.Action, entry.ActorType, entry.ActorId));
        if (allowed)
        {
            Assert.True(result.Succeeded, $"{actorRole} {operation} {targetRole}→{newRole}: {result.Message}");
            Assert.Equal("success", entry.Outcome);
            Assert.Equal(ExpectedState(before, operation, newRole), await StateAsync(targetId));
            if (operation == UserOperation.Invite)
            {
                Assert.True(await InvitedAsync(inviteEmail, newRole));
            }
        }
        else
        {
            Assert.Equal(UserOperationOutcome.Denied, result.Outcome);
            Assert.False(string.IsNullOrWhiteSpace(result.Message));
            Assert.Equal("denied", entry.Outcome);
            Assert.Contains("\"reason\":", entry.Details, StringComparison.Ordinal);
            Assert.Equal(before, await StateAsync(targetId));
            Assert.False(await InvitedAsync(inviteEmail, newRole));
        }
    }

    public static TheoryData<AdminRole, UserOperation> SelfCases()
    {
        var data = new TheoryData<AdminRole, UserOperation>();
        foreach (var role in Enum.GetValues<AdminRole>())
        {
            // Enabling oneself needs a disabled actor, who cannot act at all (see Operation_ActorDisabledAfterStepUp_Denied).
            foreach (var operation in UserOperations.All.Where(o => o is not (UserOperation.Invite or UserOperation.Enable)))
            {
                data.Add(role, operation);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SelfCases))]
    public async Task Operation_OnOwnAccount_OnlyOwnersOwnProductAccessAllowed(AdminRole role, UserOperation operation)
    {
        var actorId = await World.SeedAsync(role, products: operation == UserOperation.RevokeProduct ? [Product.Ravenscan] : []);
        var (users, ticket) = await World.SteppedUpCircuitAsync(actorId);
        var before = await StateAsync(actorId);
        var otherRole = role == AdminRole.Viewer ? AdminRole.Auditor : AdminRole.Viewer;

        var result = await RunAsync(users, ticket, operation, actorId, otherRole, "");

        var allowed = role == AdminRole.Owner && operation is UserOperation.GrantProduct or UserOperation.RevokeProduct;
        Assert.Equal(allowed ? UserOperationOutcome.Succeeded : UserOperationOutcome.Denied, result.Outcome);
        Assert.Equal(allowed ? ExpectedState(before, operation, otherRole) : before, await StateAsync(actorId));
        if (!allowed && role is AdminRole.Owner or AdminRole.Administrator)
        {
            Assert.Contains("your own account", result.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Operation_ActorDisabledAfterStepUp_DeniedBecauseTheStoreDecides()
    {
        var actorId = await World.SeedAsync(AdminRole.Owner);
        var targetId = await World.SeedAsync(AdminRole.Viewer);
        var (users, ticket) = await World.SteppedUpCircuitAsync(actorId);
        await World.Core.DisableAsync(UserOperator.HostCli, actorId);

        var result = await users.DisableAsync(ticket, targetId);

        Assert.Equal((UserOperationOutcome.Denied, "Your account is not active."), (result.Outcome, result.Message));
        Assert.Equal(AdminUserStatus.Active, (await World.UserAsync(targetId))!.Status);
    }

    [Fact]
    public async Task Operation_ActorDemotedAfterStepUp_DeniedWithCurrentRole()
    {
        var actorId = await World.SeedAsync(AdminRole.Administrator);
        var targetId = await World.SeedAsync(AdminRole.Viewer);
        var (users, ticket) = await World.SteppedUpCircuitAsync(actorId);
        // The session's role claim still says Administrator; the store no longer does.
        await World.Core.ChangeRoleAsync(UserOperator.HostCli, actorId, AdminRole.Viewer);

        var result = await users.ChangeRoleAsync(ticket, targetId, AdminRole.Auditor);

        Assert.Equal(UserOperationOutcome.Denied, result.Outcome);
        Assert.Equal(AdminRole.Viewer, (await World.UserAsync(targetId))!.Role);
    }

    [Theory]
    [MemberData(nameof(AllOperations))]
    public async Task Operation_WithoutStepUp_RefusedAndNothingChanged(UserOperation operation)
    {
        var actorId = await World.SeedAsync(AdminRole.Owner);
        var targetId = await SeedTargetAsync(operation, AdminRole.Viewer);
        var users = World.Circuit(actorId);
        var inviteEmail = $"invitee-{Guid.NewGuid():N}@example.test";
        var before = await StateAsync(targetId);
        var head = await World.AuditHeadAsync();

        var refused = await Assert.ThrowsAsync<StepUpRequiredException>(() => RunAsync(users, StepUpTicket.New(), operation, targetId, AdminRole.Auditor, inviteEmail));

        Assert.Equal(operation.StepUpName(), refused.Operation);
        Assert.Equal(before, await StateAsync(targetId));
        Assert.False(await InvitedAsync(inviteEmail, AdminRole.Auditor));
        Assert.DoesNotContain(await World.UsersAuditAsync(), e => e.Sequence > head);
        await using var db = await World.Store.Contexts.CreateDbContextAsync();
        var denial = await db.AuditEntries.AsNoTracking().SingleAsync(e => e.Sequence > head);
        Assert.Equal(("stepup.required", "denied", actorId.ToString()), (denial.Action, denial.Outcome, denial.ActorId));
    }

    [Fact]
    public async Task Operation_AnotherComponentsTicket_Refused()
    {
        var actorId = await World.SeedAsync(AdminRole.Owner);
        var targetId = await World.SeedAsync(AdminRole.Viewer);
        var (users, _) = await World.SteppedUpCircuitAsync(actorId);

        await Assert.ThrowsAsync<StepUpRequiredException>(() => users.DisableAsync(StepUpTicket.New(), targetId));
        await Assert.ThrowsAsync<StepUpRequiredException>(() => users.DisableAsync(null, targetId));

        Assert.Equal(AdminUserStatus.Active, (await World.UserAsync(targetId))!.Status);
    }

    [Fact]
    public async Task GetPermissionsAsync_Administrator_NothingOnOwnersNoOwnerRole()
    {
        var actorId = await World.SeedAsync(AdminRole.Administrator);
        var ownerId = await World.SeedAsync(AdminRole.Owner);
        var viewerId = await World.SeedAsync(AdminRole.Viewer);
        var users = World.Circuit(actorId); // read-only: no step-up needed

        var forInvite = await users.GetPermissionsAsync(null);
        var onOwner = await users.GetPermissionsAsync(ownerId);
        var onViewer = await users.GetPermissionsAsync(viewerId);
        var onSelf = await users.GetPermissionsAsync(actorId);

        Assert.Equal([UserOperation.Invite], forInvite.Operations);
        Assert.Equal([AdminRole.Administrator, AdminRole.Auditor, AdminRole.Viewer], forInvite.AssignableRoles);
        Assert.Empty(onOwner.Operations);
        Assert.Equal(UserOperations.All.Where(o => o != UserOperation.Invite).Order(), onViewer.Operations.Order());
        Assert.Empty(onSelf.Operations);
    }

    [Fact]
    public async Task GetPermissionsAsync_Viewer_Nothing()
    {
        var users = World.Circuit(await World.SeedAsync(AdminRole.Viewer));

        var permissions = await users.GetPermissionsAsync(null);

        Assert.Empty(permissions.Operations);
        Assert.Empty(permissions.AssignableRoles);
    }

    [Fact]
    public void Components_NeverInjectTheCore()
    {
        // The core skips step-up (it is the CLI's entry too): a component must go through UserManagementService.
        var offenders = typeof(UserManagementCore).Assembly.GetTypes()
            .Where(t => typeof(Microsoft.AspNetCore.Components.IComponent).IsAssignableFrom(t))
            .SelectMany(t => t.GetProperties(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic)
                .Where(p => p.PropertyType == typeof(UserManagementCore))
                .Select(p => $"{t.FullName}.{p.Name}"))
            .ToList();

        Assert.Empty(offenders);
    }

    public static TheoryData<UserOperation> AllOperations() => [.. UserOperations.All];

    private async Task<Guid> SeedTargetAsync(UserOperation operation, AdminRole role) => await World.SeedAsync(role,
        operation == UserOperation.Enable ? AdminUserStatus.Disabled : AdminUserStatus.Active,
        products: operation == UserOperation.RevokeProduct ? [Product.Ravenscan] : []);

    private static async Task<UserOperationResult> RunAsync(UserManagementService users, StepUpTicket ticket, UserOperation operation, Guid targetId,
        AdminRole newRole, string inviteEmail) => operation switch
    {
        UserOperation.Invite => await users.InviteAsync(ticket, new InviteUserInput { Email = inviteEmail, Role = newRole }),
        UserOperation.ChangeRole => await users.ChangeRoleAsync(ticket, targetId, newRole),
        UserOperation.Disable => await users.DisableAsync(ticket, targetId),
        UserOperation.Enable => await users.EnableAsync(ticket, targetId),
        UserOperation.ResetMfa => await users.ResetMfaAsync(ticket, targetId, "matrix"),
        UserOperation.Remove => await users.RemoveAsync(ticket, targetId),
        UserOperation.GrantProduct => await users.GrantProductAsync(ticket, targetId, Product.Ravenscan),
        UserOperation.RevokeProduct => await users.RevokeProductAsync(ticket, targetId, Product.Ravenscan),
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };

    /// <summary>Everything the operations can change about a user, as one comparable value.</summary>
    private sealed record State(AdminRole Role, AdminUserStatus Status, bool MfaEnrolled, string Products);

    private async Task<State?> StateAsync(Guid id)
    {
        var user = await World.UserAsync(id);
        return user is null ? null : new State(user.Role, user.Status, user.TotpSecret is not null, string.Join(",", await World.ProductsAsync(id)));
    }

    private static State? ExpectedState(State? before, UserOperation operation, AdminRole newRole) => operation switch
    {
        UserOperation.Invite => before,
        UserOperation.ChangeRole => before! with { Role = newRole },
        UserOperation.Disable => before! with { Status = AdminUserStatus.Disabled },
        UserOperation.Enable => before! with { Status = AdminUserStatus.Active },
        UserOperation.ResetMfa => before! with { MfaEnrolled = false },
        UserOperation.Remove => null,
        UserOperation.GrantProduct => before! with { Products = string.Join(",", before.Products.Split(',', StringSplitOptions.RemoveEmptyEntries).Append(nameof(Product.Ravenscan)).Order()) },
        UserOperation.RevokeProduct => before! with { Products = "" },
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };

    private async Task<bool> InvitedAsync(string email, AdminRole role)
    {
        await using var db = await World.Store.Contexts.CreateDbContextAsync();
        var normalized = email.ToUpperInvariant();
        return await db.Users.AnyAsync(u => u.NormalizedEmail == normalized && u.Role == role && u.Status == AdminUserStatus.Invited);
    }
}
