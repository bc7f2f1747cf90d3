using System.Text.Json;
using CodeRaft.Admin.Features.ApiKeys;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.StepUp;
using CodeRaft.Admin.Tests.TestSupport;

namespace CodeRaft.Admin.Tests.Features.ApiKeys;

/// <summary>
/// The console's <see cref="ApiKeyService"/> over a real store and a real step-up: a fresh step-up per operation,
/// the role read from the store (not the session), every change and refusal audited.
/// </summary>
public sealed class ApiKeyServiceTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new("coderaft-apikeys-service");
    private ApiKeysWorld _world = null!;

    public async Task InitializeAsync() => _world = await ApiKeysWorld.StartAsync(_data.Path);

    public async Task DisposeAsync()
    {
        await _world.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task CreateAsync_WithoutStepUp_ThrowsAuditsAndCreatesNothing()
    {
        var owner = await _world.SeedAsync(AdminRole.Owner);
        var (service, _) = _world.Circuit(owner);

        var thrown = await Assert.ThrowsAsync<StepUpRequiredException>(() => service.CreateAsync(StepUpTicket.New(), ApiKeysWorld.Input()));

        Assert.Equal(ApiKeyService.CreateOperation, thrown.Operation);
        Assert.Empty(await _world.KeysAsync());
        Assert.Empty(await _world.ApiKeyAuditAsync());
        Assert.Equal([("stepup.required", "denied")], await _world.StepUpAuditAsync());
    }

    [Fact]
    public async Task CreateAsync_NullTicket_Throws()
    {
        var owner = await _world.SeedAsync(AdminRole.Owner);

        await Assert.ThrowsAsync<StepUpRequiredException>(() => _world.Circuit(owner).Service.CreateAsync(null, ApiKeysWorld.Input()));

        Assert.Empty(await _world.KeysAsync());
    }

    [Fact]
    public async Task CreateAsync_TicketOfAnotherGateUnlocked_Throws()
    {
        var owner = await _world.SeedAsync(AdminRole.Owner);
        var (service, _) = await _world.SteppedUpAsync(owner, ApiKeyService.CreateOperation);

        // A ticket unlocks its own gate only (grace 0): another component's ticket is not confirmed.
        await Assert.ThrowsAsync<StepUpRequiredException>(() => service.CreateAsync(StepUpTicket.New(), ApiKeysWorld.Input()));

        Assert.Empty(await _world.KeysAsync());
    }

    [Theory]
    [InlineData(AdminRole.Owner)]
    [InlineData(AdminRole.Administrator)]
    public async Task CreateAsync_ManagerSteppedUp_CreatesAndAuditsAsTheUser(AdminRole role)
    {
        var user = await _world.SeedAsync(role);
        var (service, ticket) = await _world.SteppedUpAsync(user, ApiKeyService.CreateOperation);

        var result = await service.CreateAsync(ticket, ApiKeysWorld.Input("collector", ApiKeyScopes.AuditWrite, ApiKeyScopes.UsersRead));

        Assert.Equal(ApiKeyOutcome.Succeeded, result.Outcome);
        var key = Assert.Single(await _world.KeysAsync());
        Assert.Equal((user.ToString(), "audit:write users:read", ApiKeyFormat.Hash(result.Created!.Key)), (key.CreatedBy, key.Scopes, key.KeyHash));
        var entry = Assert.Single(await _world.ApiKeyAuditAsync());
        Assert.Equal(("apikey.created", "success", "user", user.ToString(), $"{role} 1", "apikey", key.Identifier),
            (entry.Action, entry.Outcome, entry.ActorType, entry.ActorId, entry.ActorName, entry.TargetType, entry.TargetId));
        Assert.DoesNotContain(result.Created.Key[4..], entry.Details, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(AdminRole.Auditor)]
    [InlineData(AdminRole.Viewer)]
    public async Task CreateAsync_RoleWithoutPermission_DeniedAuditedNothingCreated(AdminRole role)
    {
        var user = await _world.SeedAsync(role);
        var (service, ticket) = await _world.SteppedUpAsync(user, ApiKeyService.CreateOperation);

        var result = await service.CreateAsync(ticket, ApiKeysWorld.Input());

        Assert.Equal(ApiKeyOutcome.Denied, result.Outcome);
        Assert.Null(result.Created);
        Assert.Equal("Only Owners and Administrators can manage API keys.", result.Message);
        Assert.Empty(await _world.KeysAsync());
        var entry = Assert.Single(await _world.ApiKeyAuditAsync());
        Assert.Equal(("apikey.created", "denied", user.ToString()), (entry.Action, entry.Outcome, entry.ActorId));
        Assert.Equal(result.Message, JsonDocument.Parse(entry.Details).RootElement.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task CreateAsync_RoleLoweredAfterStepUp_StoreDecidesDenied()
    {
        var admin = await _world.SeedAsync(AdminRole.Administrator);
        var (service, ticket) = await _world.SteppedUpAsync(admin, ApiKeyService.CreateOperation);
        await _world.Users.Core.ChangeRoleAsync(UserOperator.HostCli, admin, AdminRole.Viewer);

        var result = await service.CreateAsync(ticket, ApiKeysWorld.Input());

        Assert.Equal(ApiKeyOutcome.Denied, result.Outcome);
        Assert.Empty(await _world.KeysAsync());
    }

    [Fact]
    public async Task CreateAsync_DisabledUser_Denied()
    {
        var admin = await _world.SeedAsync(AdminRole.Administrator);
        var (service, ticket) = await _world.SteppedUpAsync(admin, ApiKeyService.CreateOperation);
        await _world.Users.Core.DisableAsync(UserOperator.HostCli, admin);

        var result = await service.CreateAsync(ticket, ApiKeysWorld.Input());

        Assert.Equal(("Your account is not active.", ApiKeyOutcome.Denied), (result.Message, result.Outcome));
        Assert.Empty(await _world.KeysAsync());
    }

    [Fact]
    public async Task CreateAsync_InvalidInput_InvalidNothingWritten()
    {
        var owner = await _world.SeedAsync(AdminRole.Owner);
        var (service, ticket) = await _world.SteppedUpAsync(owner, ApiKeyService.CreateOperation);

        var result = await service.CreateAsync(ticket, new ApiKeyInput { Name = "x", Scopes = [ApiKeyScopes.AuditRead], ExpiresInDays = 366 });

        Assert.Equal(ApiKeyOutcome.Invalid, result.Outcome);
        Assert.Equal("The key must expire in 1 to 365 days.", result.Message);
        Assert.Empty(await _world.KeysAsync());
        Assert.Empty(await _world.ApiKeyAuditAsync());
    }

    [Fact]
    public async Task RevokeAsync_WithoutStepUp_ThrowsKeyStaysValid()
    {
        var owner = await _world.SeedAsync(AdminRole.Owner);
        var created = (await _world.Core.CreateAsync(UserOperator.HostCli, ApiKeysWorld.Input())).Created!;
        var (service, _) = _world.Circuit(owner);

        await Assert.ThrowsAsync<StepUpRequiredException>(() => service.RevokeAsync(StepUpTicket.New(), created.Id));

        Assert.Null(Assert.Single(await _world.KeysAsync()).RevokedAt);
        Assert.Equal([("stepup.required", "denied")], await _world.StepUpAuditAsync());
    }

    [Fact]
    public async Task RevokeAsync_StepUpForCreateOperation_DoesNotCarryOverToAnotherTicket()
    {
        var owner = await _world.SeedAsync(AdminRole.Owner);
        var created = (await _world.Core.CreateAsync(UserOperator.HostCli, ApiKeysWorld.Input())).Created!;
        var (service, createTicket) = await _world.SteppedUpAsync(owner, ApiKeyService.CreateOperation);
        Assert.True((await service.CreateAsync(createTicket, ApiKeysWorld.Input("second"))).Succeeded);

        await Assert.ThrowsAsync<StepUpRequiredException>(() => service.RevokeAsync(StepUpTicket.New(), created.Id));

        Assert.All(await _world.KeysAsync(), k => Assert.Null(k.RevokedAt));
    }

    [Fact]
    public async Task RevokeAsync_ManagerSteppedUp_RevokesAndAudits()
    {
        var admin = await _world.SeedAsync(AdminRole.Administrator);
        var created = (await _world.Core.CreateAsync(UserOperator.HostCli, ApiKeysWorld.Input())).Created!;
        var (service, ticket) = await _world.SteppedUpAsync(admin, ApiKeyService.RevokeOperation);

        var result = await service.RevokeAsync(ticket, created.Id);
        var again = await service.RevokeAsync(ticket, created.Id);

        Assert.Equal((ApiKeyOutcome.Succeeded, ApiKeyOutcome.Unchanged), (result.Outcome, again.Outcome));
        var key = Assert.Single(await _world.KeysAsync());
        Assert.Equal((_world.Time.GetUtcNow().UtcDateTime, admin.ToString()), (key.RevokedAt!.Value, key.RevokedBy));
        var entries = await _world.ApiKeyAuditAsync();
        Assert.Equal([("apikey.created", "cli"), ("apikey.revoked", "user")], entries.Select(e => (e.Action, e.ActorType)));
        Assert.Equal(admin.ToString(), entries[^1].ActorId);
    }

    [Fact]
    public async Task RevokeAsync_Auditor_DeniedAuditedAgainstTheKey()
    {
        var auditor = await _world.SeedAsync(AdminRole.Auditor);
        var created = (await _world.Core.CreateAsync(UserOperator.HostCli, ApiKeysWorld.Input())).Created!;
        var (service, ticket) = await _world.SteppedUpAsync(auditor, ApiKeyService.RevokeOperation);

        var result = await service.RevokeAsync(ticket, created.Id);

        Assert.Equal(ApiKeyOutcome.Denied, result.Outcome);
        Assert.Null(Assert.Single(await _world.KeysAsync()).RevokedAt);
        var denied = (await _world.ApiKeyAuditAsync())[^1];
        Assert.Equal(("apikey.revoked", "denied", created.Identifier), (denied.Action, denied.Outcome, denied.TargetId));
    }

    [Fact]
    public async Task ListAsync_Manager_ShowsCreatorNamesNewestFirst_NoSecrets()
    {
        var owner = await _world.SeedAsync(AdminRole.Owner);
        await _world.Core.CreateAsync(UserOperator.HostCli, ApiKeysWorld.Input("by cli"));
        _world.Time.Advance(TimeSpan.FromMinutes(1));
        var (service, ticket) = await _world.SteppedUpAsync(owner, ApiKeyService.CreateOperation);
        var mine = (await service.CreateAsync(ticket, ApiKeysWorld.Input("by owner"))).Created!;

        var list = await service.ListAsync();

        Assert.Equal([("by owner", "Owner 1"), ("by cli", "cli")], list.Keys.Select(k => (k.Key.Name, k.CreatedByName)));
        Assert.Equal(_world.Time.GetUtcNow().UtcDateTime, list.AsOf);
        Assert.DoesNotContain(mine.Key[4..], string.Join("|", list.Keys), StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKeyFormat.Hash(mine.Key), string.Join("|", list.Keys), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(AdminRole.Auditor)]
    [InlineData(AdminRole.Viewer)]
    public async Task ListAsync_RoleWithoutPermission_Throws(AdminRole role)
    {
        var user = await _world.SeedAsync(role);
        var created = (await _world.Core.CreateAsync(UserOperator.HostCli, ApiKeysWorld.Input())).Created!;
        var (service, _) = _world.Circuit(user);

        Assert.False(await service.MayManageAsync());
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => service.ListAsync());
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => service.ActivityAsync(created.Id));
    }

    [Fact]
    public async Task ActivityAsync_CreatedThenRevoked_NewestFirstOnlyThisKey()
    {
        var owner = await _world.SeedAsync(AdminRole.Owner);
        var first = (await _world.Core.CreateAsync(UserOperator.HostCli, ApiKeysWorld.Input("first"))).Created!;
        var other = (await _world.Core.CreateAsync(UserOperator.HostCli, ApiKeysWorld.Input("other"))).Created!;
        await _world.Core.RevokeAsync(UserOperator.HostCli, other.Id);
        await _world.Core.RevokeAsync(UserOperator.HostCli, first.Id);
        var (service, _) = _world.Circuit(owner);

        var activity = await service.ActivityAsync(first.Id);

        Assert.NotNull(activity);
        Assert.Equal(first.Identifier, activity.Identifier);
        Assert.Equal(["apikey.revoked", "apikey.created"], activity.Entries.Select(e => e.Action));
        Assert.All(activity.Entries, e => Assert.Equal(first.Identifier, e.TargetId));
        Assert.True(activity.Entries[0].Sequence > activity.Entries[1].Sequence);
        Assert.False(activity.MayHaveMore);
        Assert.Null(await service.ActivityAsync(Guid.NewGuid()));
    }

    [Fact]
    public async Task ActivityAsync_MoreEntriesThanTheLimit_TheNewestOnly()
    {
        var created = (await _world.Core.CreateAsync(UserOperator.HostCli, ApiKeysWorld.Input())).Created!;
        await _world.Core.RevokeAsync(UserOperator.HostCli, created.Id);

        var activity = await _world.Core.ActivityAsync(created.Id, limit: 1);

        Assert.Equal(["apikey.revoked"], activity!.Entries.Select(e => e.Action));
        Assert.True(activity.MayHaveMore);
    }

    [Fact]
    public async Task UserDirectoryDetail_KeysCreatedByTheUser_ListedInTheUsersDrawer()
    {
        var owner = await _world.SeedAsync(AdminRole.Owner);
        var other = await _world.SeedAsync(AdminRole.Administrator);
        var (service, ticket) = await _world.SteppedUpAsync(owner, ApiKeyService.CreateOperation);
        var mine = (await service.CreateAsync(ticket, ApiKeysWorld.Input("mine"))).Created!;
        await _world.Core.CreateAsync(UserOperator.HostCli, ApiKeysWorld.Input("by cli"));
        var directory = new CodeRaft.Admin.Features.Users.Directory.UserDirectoryService(_world.Users.Store.Contexts, _world.Time);

        var detail = await directory.GetDetailAsync(owner);
        var none = await directory.GetDetailAsync(other);

        var key = Assert.Single(detail!.ApiKeys);
        Assert.Equal((mine.Id, "mine", mine.Identifier, mine.ExpiresAt), (key.Id, key.Name, key.Prefix, key.ExpiresAt));
        Assert.Empty(none!.ApiKeys);
    }
}
