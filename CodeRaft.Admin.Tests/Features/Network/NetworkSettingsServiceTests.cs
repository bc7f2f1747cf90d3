using System.Net;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Network;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.StepUp;
using CodeRaft.Admin.Security.Totp;
using CodeRaft.Admin.Tests.Security.StepUp;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace CodeRaft.Admin.Tests.Features.Network;

/// <summary>Settings → Network: role from the store, step-up, the lock-out confirmation, audit, in force at once.</summary>
public sealed class NetworkSettingsServiceTests : IAsyncLifetime
{
    private static readonly IPAddress You = IPAddress.Parse("192.0.2.10");
    private readonly TempDirectory _data = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 9, 0, 10, TimeSpan.Zero));
    private TestStore _store = null!;
    private Guid _ownerId;

    public async Task InitializeAsync()
    {
        _store = await TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret(), time: _time);
        _ownerId = await StepUpUser.SeedAsync(_store, _time.GetUtcNow());
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _data.Dispose();
    }

    private (StepUpService StepUp, NetworkSettingsService Network) Circuit(Guid userId)
    {
        var authentication = new FakeAuthenticationStateProvider(userId);
        var stepUp = new StepUpService(_store.Get<TotpService>(), _store.Contexts, _store.Get<AuditWriter>(), authentication, new FixedStepUpPolicy(TimeSpan.Zero), _time);
        return (stepUp, new NetworkSettingsService(_store.Contexts, _store.Get<NetworkAllowlistCore>(), _store.Get<AuditWriter>(), authentication, stepUp));
    }

    private async Task<StepUpTicket> StepUpAsync(StepUpService stepUp)
    {
        var ticket = StepUpTicket.New();
        var result = await stepUp.ChallengeAsync(ticket, StepUpUser.CodeAt(_time.GetUtcNow()), NetworkSettingsService.Operation);
        Assert.True(result.Succeeded, result.Message);
        _time.Advance(TimeSpan.FromSeconds(30)); // the next step-up needs the next TOTP step
        return ticket;
    }

    private static List<AllowlistEntryInput> Rows(params string[] cidrs) => [.. cidrs.Select(c => new AllowlistEntryInput { Cidr = c, Description = "d " + c })];

    private async Task<List<(string Action, string Outcome, string Details)>> NetworkAuditAsync()
    {
        await using var db = await _store.Contexts.CreateDbContextAsync();
        var rows = await db.AuditEntries.Where(e => e.Category == "network").OrderBy(e => e.Sequence).Select(e => new { e.Action, e.Outcome, e.Details }).ToListAsync();
        return [.. rows.Select(r => (r.Action, r.Outcome, r.Details))];
    }

    private async Task SetRoleAsync(Guid userId, AdminRole role)
    {
        await using var db = await _store.Contexts.CreateDbContextAsync();
        await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(u => u.SetProperty(x => x.Role, role));
    }

    [Fact]
    public async Task SaveAsync_OwnerAfterStepUpIncludingOwnAddress_SavedAuditedAndInForce()
    {
        var (stepUp, network) = Circuit(_ownerId);
        using var _ = stepUp;

        var result = await network.SaveAsync(AllowlistScope.Ui, Rows("192.0.2.0/24", "2001:db8::/32"), You, null, await StepUpAsync(stepUp));

        Assert.True(result.Succeeded, result.Message);
        var allowlist = _store.Get<NetworkAllowlist>();
        Assert.True(allowlist.IsAllowed(AllowlistScope.Ui, You));
        Assert.False(allowlist.IsAllowed(AllowlistScope.Ui, IPAddress.Parse("198.51.100.1")));
        Assert.True(allowlist.IsAllowed(AllowlistScope.Api, IPAddress.Parse("198.51.100.1"))); // the api list is still empty
        var entry = Assert.Single(await NetworkAuditAsync());
        Assert.Equal(("network.allowlist_changed", AuditVocabulary.Success), (entry.Action, entry.Outcome));
        Assert.Contains("\"before\":[]", entry.Details, StringComparison.Ordinal);
        Assert.Contains("\"after\":[\"192.0.2.0/24\",\"2001:db8::/32\"]", entry.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SaveAsync_WithoutStepUp_Throws()
    {
        var (stepUp, network) = Circuit(_ownerId);
        using var _ = stepUp;

        await Assert.ThrowsAsync<StepUpRequiredException>(() => network.SaveAsync(AllowlistScope.Ui, Rows("192.0.2.0/24"), You, null, StepUpTicket.New()));
        Assert.Empty(await NetworkAuditAsync());
    }

    [Theory]
    [InlineData(AdminRole.Auditor)]
    [InlineData(AdminRole.Viewer)]
    public async Task SaveAsync_RoleWithoutPermissionInStore_DeniedAndAudited(AdminRole role)
    {
        var (stepUp, network) = Circuit(_ownerId);
        using var _ = stepUp;
        var ticket = await StepUpAsync(stepUp);
        await SetRoleAsync(_ownerId, role); // the cookie still says Owner; the store decides

        var result = await network.SaveAsync(AllowlistScope.Ui, Rows("192.0.2.0/24"), You, null, ticket);

        Assert.False(result.Succeeded);
        Assert.Equal("Only Owners and Administrators can change the allowlists.", result.Message);
        Assert.Equal(("network.allowlist_changed", AuditVocabulary.Denied), (await NetworkAuditAsync()).Select(a => (a.Action, a.Outcome)).Single());
        Assert.True(_store.Get<NetworkAllowlist>().Current.Ui.IsEmpty);
    }

    [Fact]
    public async Task SaveAsync_UiListExcludingOwnAddressWithoutConfirmation_RefusedNothingSaved()
    {
        var (stepUp, network) = Circuit(_ownerId);
        using var _ = stepUp;

        var result = await network.SaveAsync(AllowlistScope.Ui, Rows("198.51.100.0/24"), You, "yes", await StepUpAsync(stepUp));

        Assert.False(result.Succeeded);
        Assert.Equal("This list does not include your address 192.0.2.10: saving it ends your session. Type 192.0.2.10 to confirm.", result.Message);
        Assert.Empty(await NetworkAuditAsync());
        Assert.True(_store.Get<NetworkAllowlist>().Current.Ui.IsEmpty);
    }

    [Fact]
    public async Task SaveAsync_UiListExcludingOwnAddressWithTypedAddress_Saved()
    {
        var (stepUp, network) = Circuit(_ownerId);
        using var _ = stepUp;

        var result = await network.SaveAsync(AllowlistScope.Ui, Rows("198.51.100.0/24"), You, " 192.0.2.10 ", await StepUpAsync(stepUp));

        Assert.True(result.Succeeded, result.Message);
        Assert.False(_store.Get<NetworkAllowlist>().IsAllowed(AllowlistScope.Ui, You));
    }

    [Fact]
    public async Task SaveAsync_ApiListExcludingOwnAddress_NeedsNoConfirmation()
    {
        var (stepUp, network) = Circuit(_ownerId);
        using var _ = stepUp;

        var result = await network.SaveAsync(AllowlistScope.Api, Rows("198.51.100.0/24"), You, null, await StepUpAsync(stepUp));

        Assert.True(result.Succeeded, result.Message);
        Assert.False(_store.Get<NetworkAllowlist>().IsAllowed(AllowlistScope.Api, You));
        Assert.True(_store.Get<NetworkAllowlist>().IsAllowed(AllowlistScope.Ui, You));
    }

    [Theory]
    [InlineData("10.0.0.0/8", "10.0.0.0/8", "10.0.0.0/8 is listed twice")]
    [InlineData("10.1.2.3/8", "192.0.2.0/24", "did you mean 10.0.0.0/8?")]
    [InlineData("", "192.0.2.0/24", "Enter an IP address")]
    public async Task SaveAsync_InvalidList_RefusedWithMessageNothingSaved(string first, string second, string expected)
    {
        var (stepUp, network) = Circuit(_ownerId);
        using var _ = stepUp;

        var result = await network.SaveAsync(AllowlistScope.Ui, Rows(first, second), You, null, await StepUpAsync(stepUp));

        Assert.Equal(NetworkOutcome.Invalid, result.Outcome);
        Assert.Contains(expected, result.Message, StringComparison.Ordinal);
        Assert.Empty(await NetworkAuditAsync());
    }

    [Fact]
    public async Task SaveAsync_NaughtyDescription_RefusedWithMessage()
    {
        var (stepUp, network) = Circuit(_ownerId);
        using var _ = stepUp;
        List<AllowlistEntryInput> rows = [new() { Cidr = "192.0.2.0/24", Description = "office\u202Eevil" }];

        var result = await network.SaveAsync(AllowlistScope.Ui, rows, You, null, await StepUpAsync(stepUp));

        Assert.Equal("The description must not contain control characters or text-direction overrides.", result.Message);
        Assert.Empty(await NetworkAuditAsync());
    }

    [Fact]
    public void LockoutPreview_For_ReportsWhatSavingMeans()
    {
        Assert.True(LockoutPreview.For([], You).AllowsEveryone);
        var allowed = LockoutPreview.For(Rows("10.0.0.0/8", "192.0.2.0/24"), You);
        Assert.Equal((false, false, "192.0.2.0/24"), (allowed.AllowsEveryone, allowed.ExcludesYou, allowed.MatchedBy));
        Assert.True(LockoutPreview.For(Rows("10.0.0.0/8"), You).ExcludesYou);
        Assert.True(LockoutPreview.For(Rows("10.0.0.0/8"), null).ExcludesYou);
        Assert.False(LockoutPreview.For(Rows("::ffff:192.0.2.0/120"), IPAddress.Parse("::ffff:192.0.2.10")).ExcludesYou);
        Assert.False(LockoutPreview.For(Rows("not an address"), You).ListIsValid);
    }

    [Fact]
    public async Task Refresh_ChangeByAnotherProcess_NoticedByVersionCheck()
    {
        var allowlist = _store.Get<NetworkAllowlist>();
        // A second process (the CLI) over the same store: its own snapshot, same database.
        var other = new NetworkAllowlist(_store.Contexts);
        var core = new NetworkAllowlistCore(_store.Contexts, _store.Get<AuditWriter>(), other, _time);
        var changed = 0;
        allowlist.Changed += () => changed++;

        await core.AddAsync(UserOperator.HostCli, AllowlistScope.Api, new AllowlistEntryInput { Cidr = "203.0.113.0/24" });

        Assert.True(await allowlist.IsStaleAsync(CancellationToken.None));
        await allowlist.RefreshAsync();
        Assert.False(await allowlist.IsStaleAsync(CancellationToken.None));
        Assert.Equal(1, changed);
        Assert.False(allowlist.IsAllowed(AllowlistScope.Api, You));
        Assert.True(allowlist.IsAllowed(AllowlistScope.Api, IPAddress.Parse("203.0.113.9")));
    }
}
