using System.Text.Json;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Tests.Features.Users.Management;

/// <summary>What each operation changes, what it audits (before/after, no secrets), and the rules beyond the matrix.</summary>
public sealed class UserManagementCoreTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private UsersWorld _world = null!;
    private Guid _owner;
    private UserOperator _by = null!;

    private UserManagementCore Core => _world.Core;

    public async Task InitializeAsync()
    {
        _world = await UsersWorld.StartAsync(_data.Path, TestSecrets.NewMasterSecret());
        _owner = await _world.SeedAsync(AdminRole.Owner, email: "olivia@example.test");
        _by = UserOperator.ConsoleUser(_owner);
    }

    public async Task DisposeAsync()
    {
        await _world.DisposeAsync();
        _data.Dispose();
    }

    private async Task<JsonElement> LastDetailsAsync(string action)
    {
        var entry = (await _world.UsersAuditAsync()).Last(e => e.Action == action);
        return JsonDocument.Parse(entry.Details).RootElement;
    }

    [Fact]
    public async Task ChangeRoleAsync_Viewer_RoleStampAndAuditBeforeAfter()
    {
        var bob = await _world.SeedAsync(AdminRole.Viewer, email: "bob@example.test");
        var stamp = (await _world.UserAsync(bob))!.SecurityStamp;
        var revoked = new List<Guid>();
        _world.Revocations.Revoked += revoked.Add;

        var result = await Core.ChangeRoleAsync(_by, bob, AdminRole.Administrator);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal("Viewer 2 is now an Administrator.", result.Message);
        var user = (await _world.UserAsync(bob))!;
        Assert.Equal(AdminRole.Administrator, user.Role);
        Assert.NotEqual(stamp, user.SecurityStamp);
        Assert.Equal([bob], revoked);
        var entry = (await _world.UsersAuditAsync()).Single(e => e.Action == "user.role_changed");
        Assert.Equal(("users", "success", "user", _owner.ToString(), "Owner 1"), (entry.Category, entry.Outcome, entry.ActorType, entry.ActorId, entry.ActorName));
        Assert.Equal(("user", bob.ToString()), (entry.TargetType, entry.TargetId));
        Assert.Equal("""{"email":"bob@example.test","before":{"role":"Viewer"},"after":{"role":"Administrator"}}""", entry.Details);
    }

    [Fact]
    public async Task ChangeRoleAsync_SameRole_UnchangedNotAudited()
    {
        var bob = await _world.SeedAsync(AdminRole.Auditor);
        var head = await _world.AuditHeadAsync();

        var result = await Core.ChangeRoleAsync(_by, bob, AdminRole.Auditor);

        Assert.Equal(UserOperationOutcome.Unchanged, result.Outcome);
        Assert.Equal(head, await _world.AuditHeadAsync());
    }

    [Fact]
    public async Task ChangeRoleAsync_UndefinedRole_Invalid()
    {
        var bob = await _world.SeedAsync(AdminRole.Auditor);

        var result = await Core.ChangeRoleAsync(_by, bob, (AdminRole)42);

        Assert.Equal(UserOperationOutcome.Invalid, result.Outcome);
        Assert.Equal(AdminRole.Auditor, (await _world.UserAsync(bob))!.Role);
    }

    [Fact]
    public async Task DisableAsync_ThenEnable_StatusBackNewStampAudited()
    {
        var bob = await _world.SeedAsync(AdminRole.Administrator);
        var stamp = (await _world.UserAsync(bob))!.SecurityStamp;

        var disabled = await Core.DisableAsync(_by, bob);
        var again = await Core.DisableAsync(_by, bob);
        var enabled = await Core.EnableAsync(_by, bob);

        Assert.True(disabled.Succeeded);
        Assert.Equal(UserOperationOutcome.Unchanged, again.Outcome);
        Assert.True(enabled.Succeeded);
        var user = (await _world.UserAsync(bob))!;
        Assert.Equal(AdminUserStatus.Active, user.Status);
        Assert.NotEqual(stamp, user.SecurityStamp); // the sessions from before the disable stay dead
        var off = await LastDetailsAsync("user.disabled");
        Assert.Equal(("Active", "Disabled"), (off.GetProperty("before").GetProperty("status").GetString(), off.GetProperty("after").GetProperty("status").GetString()));
        var on = await LastDetailsAsync("user.enabled");
        Assert.Equal(("Disabled", "Active"), (on.GetProperty("before").GetProperty("status").GetString(), on.GetProperty("after").GetProperty("status").GetString()));
    }

    [Fact]
    public async Task EnableAsync_NeverActivatedInvitee_BackToInvited()
    {
        var invite = await Core.InviteAsync(_by, new InviteUserInput { Email = "new@example.test", Role = AdminRole.Viewer });
        await Core.DisableAsync(_by, invite.UserId!.Value);

        var result = await Core.EnableAsync(_by, invite.UserId.Value);

        Assert.True(result.Succeeded);
        Assert.Equal(AdminUserStatus.Invited, (await _world.UserAsync(invite.UserId.Value))!.Status);
    }

    [Fact]
    public async Task ResetMfaAsync_EnrolledAdministrator_ClearedSessionsRevokedAudited()
    {
        var bob = await _world.SeedAsync(AdminRole.Administrator);
        var revoked = new List<Guid>();
        _world.Revocations.Revoked += revoked.Add;

        var result = await Core.ResetMfaAsync(_by, bob, "ticket #4711");

        Assert.True(result.Succeeded, result.Message);
        var user = (await _world.UserAsync(bob))!;
        Assert.Equal((null, null, 0L, 0, null), (user.TotpSecret, user.TotpEnabledAt, user.TotpLastStep, user.TotpFailures, user.TotpLockedUntil));
        await using (var db = await _world.Store.Contexts.CreateDbContextAsync())
        {
            Assert.False(await db.RecoveryCodes.AnyAsync(c => c.UserId == bob));
        }

        Assert.Equal([bob], revoked);
        var details = await LastDetailsAsync("user.mfa_reset");
        Assert.True(details.GetProperty("before").GetProperty("mfaEnrolled").GetBoolean());
        Assert.False(details.GetProperty("after").GetProperty("mfaEnrolled").GetBoolean());
        Assert.Equal(1, details.GetProperty("codesDeleted").GetInt32());
        Assert.Equal("ticket #4711", details.GetProperty("reason").GetString());
        var raw = (await _world.UsersAuditAsync()).Last().Details;
        Assert.DoesNotContain("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", raw, StringComparison.Ordinal); // the key never reaches the log
    }

    [Fact]
    public async Task ResetMfaAsync_NotEnrolled_UnchangedNotAudited()
    {
        var bob = await _world.SeedAsync(AdminRole.Viewer, enrolled: false);
        var head = await _world.AuditHeadAsync();

        var result = await Core.ResetMfaAsync(_by, bob);

        Assert.Equal(UserOperationOutcome.Unchanged, result.Outcome);
        Assert.Equal(head, await _world.AuditHeadAsync());
    }

    [Fact]
    public async Task RemoveAsync_UserWithSeatsAndInvitation_EverythingGoneSeatsFreedHistoryKept()
    {
        var invite = await Core.InviteAsync(_by, new InviteUserInput { Email = "gone@example.test", DisplayName = "Gone Soon", Role = AdminRole.Auditor, Products = [Product.Ravenscan, Product.EntraGuard] });
        var id = invite.UserId!.Value;

        var result = await Core.RemoveAsync(_by, id);

        Assert.True(result.Succeeded, result.Message);
        Assert.Null(await _world.UserAsync(id));
        await using (var db = await _world.Store.Contexts.CreateDbContextAsync())
        {
            Assert.False(await db.ProductAccess.AnyAsync(a => a.UserId == id));
            Assert.False(await db.UserInvitations.AnyAsync(i => i.UserId == id));
        }

        var details = await LastDetailsAsync("user.removed");
        var before = details.GetProperty("before");
        Assert.Equal(("gone@example.test", "Gone Soon", "Auditor", "Invited"), (before.GetProperty("email").GetString(), before.GetProperty("displayName").GetString(),
            before.GetProperty("role").GetString(), before.GetProperty("status").GetString()));
        Assert.Equal(["entraguard", "ravenscan"], before.GetProperty("products").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(JsonValueKind.Null, details.GetProperty("after").ValueKind);
        Assert.Contains(await _world.UsersAuditAsync(), e => e.Action == "user.invited" && e.TargetId == id.ToString());
    }

    [Fact]
    public async Task RemoveAsync_UnknownUser_NotFound()
    {
        var result = await Core.RemoveAsync(_by, Guid.NewGuid());

        Assert.Equal(UserOperationOutcome.NotFound, result.Outcome);
    }

    [Theory]
    [InlineData(UserOperation.Disable)]
    [InlineData(UserOperation.Remove)]
    [InlineData(UserOperation.ChangeRole)]
    public async Task Operation_LastActiveOwner_DeniedAndAudited(UserOperation operation)
    {
        // Olivia is the only active Owner; a second, disabled Owner does not count.
        await _world.SeedAsync(AdminRole.Owner, AdminUserStatus.Disabled);
        var result = operation switch
        {
            UserOperation.Disable => await Core.DisableAsync(UserOperator.HostCli, _owner),
            UserOperation.Remove => await Core.RemoveAsync(UserOperator.HostCli, _owner),
            _ => await Core.ChangeRoleAsync(UserOperator.HostCli, _owner, AdminRole.Administrator),
        };

        Assert.Equal(UserOperationOutcome.Denied, result.Outcome);
        Assert.Equal("Owner 1 is the last active Owner: make another user an Owner first, so the platform always has one.", result.Message);
        Assert.Equal(1, await _world.ActiveOwnersAsync());
        var entry = (await _world.UsersAuditAsync()).Last();
        Assert.Equal((operation.AuditAction(), "denied", "cli"), (entry.Action, entry.Outcome, entry.ActorType));
    }

    [Fact]
    public async Task DisableAsync_OwnerWithAnotherActiveOwner_Allowed()
    {
        var second = await _world.SeedAsync(AdminRole.Owner);

        var result = await Core.DisableAsync(UserOperator.ConsoleUser(second), _owner);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(1, await _world.ActiveOwnersAsync());
    }

    [Fact]
    public async Task GrantProductAsync_NoLicense_DeniedWithTheSentence()
    {
        _world.Seats.Seats[Product.RedFoxBastion] = null;
        var bob = await _world.SeedAsync(AdminRole.Viewer);

        var result = await Core.GrantProductAsync(_by, bob, Product.RedFoxBastion);

        Assert.Equal((UserOperationOutcome.Denied, "No license is installed for RedFox Bastion, so no seats can be granted."), (result.Outcome, result.Message));
        Assert.Empty(await _world.ProductsAsync(bob));
        Assert.Equal("denied", (await _world.UsersAuditAsync()).Last().Outcome);
    }

    [Fact]
    public async Task GrantProductAsync_AllSeatsInUse_DeniedWithTheSentence()
    {
        _world.Seats.Seats[Product.Ravenscan] = 50;
        for (var i = 0; i < 50; i++)
        {
            await _world.SeedAsync(AdminRole.Viewer, enrolled: false, products: [Product.Ravenscan]);
        }

        var result = await Core.GrantProductAsync(_by, await _world.SeedAsync(AdminRole.Viewer), Product.Ravenscan);

        Assert.Equal((UserOperationOutcome.Denied, "All 50 seats of Ravenscan are in use."), (result.Outcome, result.Message));
    }

    [Fact]
    public async Task GrantProductAsync_ThenRevoke_SeatCountedBeforeAfterAudited()
    {
        _world.Seats.Seats[Product.EntraGuard] = 5;
        var bob = await _world.SeedAsync(AdminRole.Viewer, products: [Product.Ravenscan]);

        var granted = await Core.GrantProductAsync(_by, bob, Product.EntraGuard);
        var twice = await Core.GrantProductAsync(_by, bob, Product.EntraGuard);
        var grant = await LastDetailsAsync("user.product_granted");
        var revoked = await Core.RevokeProductAsync(_by, bob, Product.EntraGuard);
        var revokedTwice = await Core.RevokeProductAsync(_by, bob, Product.EntraGuard);

        Assert.Equal("Viewer 2 now has access to EntraGuard (1 of 5 seats in use).", granted.Message);
        Assert.Equal(UserOperationOutcome.Unchanged, twice.Outcome);
        Assert.True(revoked.Succeeded);
        Assert.Equal(UserOperationOutcome.Unchanged, revokedTwice.Outcome);
        Assert.Equal("""{"email":"viewer-2@example.test","product":"entraguard","before":{"products":["ravenscan"]},"after":{"products":["entraguard","ravenscan"]},"seatsInUse":1,"seats":5}""",
            grant.GetRawText().Replace(grant.GetProperty("email").GetString()!, "viewer-2@example.test", StringComparison.Ordinal));
        var revoke = await LastDetailsAsync("user.product_revoked");
        Assert.Equal(["entraguard", "ravenscan"], revoke.GetProperty("before").GetProperty("products").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(["ravenscan"], revoke.GetProperty("after").GetProperty("products").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal([Product.Ravenscan], await _world.ProductsAsync(bob));
    }

    [Fact]
    public async Task InviteAsync_LocalMode_InvitedUserProductsAndOneTimeLinkOnlyHashStored()
    {
        var result = await Core.InviteAsync(_by, new InviteUserInput
        {
            Email = "  Jane.Doe@Contoso.com ", DisplayName = " Jane Doe ", Role = AdminRole.Administrator, Products = [Product.Ravenscan, Product.Ravenscan],
        });

        Assert.True(result.Succeeded, result.Message);
        Assert.StartsWith("/account/activate?token=", result.ActivationLink, StringComparison.Ordinal);
        var token = result.ActivationLink!["/account/activate?token=".Length..];
        Assert.True(InvitationTokens.IsWellFormed(token));
        Assert.Equal(_world.Time.GetUtcNow() + TimeSpan.FromDays(7), result.ActivationLinkExpiresAt);
        Assert.DoesNotContain(token, result.ToString(), StringComparison.Ordinal);
        var user = (await _world.UserAsync(result.UserId!.Value))!;
        Assert.Equal(("Jane.Doe@Contoso.com", "JANE.DOE@CONTOSO.COM", "Jane Doe", AdminRole.Administrator, AdminUserStatus.Invited),
            (user.Email, user.NormalizedEmail, user.DisplayName, user.Role, user.Status));
        Assert.Null(user.PasswordHash);
        Assert.Equal([Product.Ravenscan], await _world.ProductsAsync(user.Id));
        await using var db = await _world.Store.Contexts.CreateDbContextAsync();
        var invitation = await db.UserInvitations.SingleAsync(i => i.UserId == user.Id);
        Assert.Equal(InvitationTokens.Hash(token), invitation.TokenHash);
        Assert.Equal(_owner.ToString(), invitation.CreatedBy);
        var entry = (await _world.UsersAuditAsync()).Last();
        Assert.Equal(("user.invited", "success", user.Id.ToString()), (entry.Action, entry.Outcome, entry.TargetId));
        Assert.Contains("\"after\":{\"email\":\"Jane.Doe@Contoso.com\",\"displayName\":\"Jane Doe\",\"role\":\"Administrator\",\"status\":\"Invited\",\"products\":[\"ravenscan\"]}", entry.Details, StringComparison.Ordinal);
        // The token appears nowhere in the store: not in the audit log, not in any table.
        Assert.DoesNotContain(await db.AuditEntries.Select(e => e.Details).ToListAsync(), d => d.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task InviteAsync_OidcMode_NoLinkNoInvitationRow()
    {
        await using var oidc = await UsersWorld.StartAsync(_data.Combine("oidc"), TestSecrets.NewMasterSecret(), mode: "Oidc");
        var owner = await oidc.SeedAsync(AdminRole.Owner);

        var result = await oidc.Core.InviteAsync(UserOperator.ConsoleUser(owner), new InviteUserInput { Email = "upn.user@contoso.onmicrosoft.com", Role = AdminRole.Auditor });

        Assert.True(result.Succeeded, result.Message);
        Assert.Null(result.ActivationLink);
        Assert.Contains("can now sign in", result.Message, StringComparison.Ordinal);
        await using var db = await oidc.Store.Contexts.CreateDbContextAsync();
        Assert.False(await db.UserInvitations.AnyAsync());
        Assert.Equal(AdminUserStatus.Invited, (await oidc.UserAsync(result.UserId!.Value))!.Status);
    }

    [Theory]
    [InlineData("OLIVIA@EXAMPLE.TEST")]
    [InlineData("olivia@example.test ")]
    public async Task InviteAsync_ExistingAddressAnyCase_InvalidNothingAdded(string email)
    {
        var head = await _world.AuditHeadAsync();

        var result = await Core.InviteAsync(_by, new InviteUserInput { Email = email, Role = AdminRole.Viewer });

        Assert.Equal(UserOperationOutcome.Invalid, result.Outcome);
        Assert.Equal([InviteUserInputValidator.DuplicateMessage], result.Errors);
        Assert.Equal(head, await _world.AuditHeadAsync());
    }

    [Theory]
    [InlineData("", "Enter the e-mail address or user principal name (UPN) of the person to invite.")]
    [InlineData("not-an-address", "Enter a valid e-mail address or user principal name, such as jane@contoso.com (letters, digits and punctuation of plain ASCII).")]
    [InlineData("jané@example.test", "Enter a valid e-mail address or user principal name, such as jane@contoso.com (letters, digits and punctuation of plain ASCII).")]
    [InlineData("Jane <jane@example.test>", "Enter a valid e-mail address or user principal name, such as jane@contoso.com (letters, digits and punctuation of plain ASCII).")]
    public async Task InviteAsync_BadAddress_InvalidWithMessage(string email, string message)
    {
        var result = await Core.InviteAsync(_by, new InviteUserInput { Email = email, Role = AdminRole.Viewer });

        Assert.Equal(UserOperationOutcome.Invalid, result.Outcome);
        Assert.Equal([message], result.Errors);
    }

    [Fact]
    public async Task InviteAsync_TooLongAddressOrName_Invalid()
    {
        var longAddress = new string('a', 245) + "@example.test"; // 258
        var longName = new string('n', 257);

        var address = await Core.InviteAsync(_by, new InviteUserInput { Email = longAddress, Role = AdminRole.Viewer });
        var name = await Core.InviteAsync(_by, new InviteUserInput { Email = "ok@example.test", DisplayName = longName, Role = AdminRole.Viewer });
        var fits = await Core.InviteAsync(_by, new InviteUserInput { Email = new string('a', 243) + "@example.test", DisplayName = new string('n', 256), Role = AdminRole.Viewer });

        Assert.Equal(["The e-mail address must be at most 256 characters long."], address.Errors);
        Assert.Equal(["The name must be at most 256 characters long."], name.Errors);
        Assert.True(fits.Succeeded, fits.Message);
    }

    [Theory]
    [InlineData("Eve\u202Egnp.exe")]
    [InlineData("Eve\u0007")]
    [InlineData("Eve\nMallory")]
    public async Task InviteAsync_NameWithControlCharacters_Invalid(string name)
    {
        var result = await Core.InviteAsync(_by, new InviteUserInput { Email = "eve@example.test", DisplayName = name, Role = AdminRole.Viewer });

        Assert.Equal(["The name must not contain control characters or text-direction overrides."], result.Errors);
    }

    [Fact]
    public async Task InviteAsync_UndefinedRoleOrProduct_Invalid()
    {
        var role = await Core.InviteAsync(_by, new InviteUserInput { Email = "r@example.test", Role = (AdminRole)9 });
        var product = await Core.InviteAsync(_by, new InviteUserInput { Email = "p@example.test", Products = [(Product)9] });

        Assert.Equal(UserOperationOutcome.Invalid, role.Outcome);
        Assert.Equal(UserOperationOutcome.Invalid, product.Outcome);
    }

    [Fact]
    public async Task InviteAsync_ProductWithoutLicense_DeniedNothingCreated()
    {
        _world.Seats.Seats[Product.RedFoxBastion] = null;

        var result = await Core.InviteAsync(_by, new InviteUserInput { Email = "x@example.test", Role = AdminRole.Viewer, Products = [Product.Ravenscan, Product.RedFoxBastion] });

        Assert.Equal((UserOperationOutcome.Denied, "No license is installed for RedFox Bastion, so no seats can be granted."), (result.Outcome, result.Message));
        await using var db = await _world.Store.Contexts.CreateDbContextAsync();
        Assert.False(await db.Users.AnyAsync(u => u.NormalizedEmail == "X@EXAMPLE.TEST"));
        Assert.False(await db.ProductAccess.AnyAsync());
    }

    [Fact]
    public async Task InviteAsync_PortalSeatSourceWithoutLicenses_NoSeatsForAnyProduct()
    {
        // What the portal registers: the license catalog, with nothing installed.
        var seats = _world.Store.Get<ILicenseSeats>();

        Assert.IsType<CodeRaft.Admin.Features.Licenses.LicenseCatalog>(seats);
        foreach (var product in Products.All)
        {
            Assert.Null(await seats.GetSeatsAsync(product));
        }
    }
}
