using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Settings;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.StepUp;
using CodeRaft.Admin.Security.Totp;
using CodeRaft.Admin.Tests.Security.StepUp;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CodeRaft.Admin.Tests.Features.Settings;

/// <summary>Settings → Security: the grace period, Owner-only and privileged, audited, effective at once.</summary>
public sealed class SecuritySettingsServiceTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 9, 0, 10, TimeSpan.Zero));
    private TestStore _store = null!;
    private Guid _ownerId;
    private StoredStepUpPolicy _policy = null!;

    public async Task InitializeAsync()
    {
        _store = await TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret(), time: _time);
        _ownerId = await StepUpUser.SeedAsync(_store, _time.GetUtcNow());
        _policy = NewPolicy();
        await _policy.RefreshAsync();
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _data.Dispose();
    }

    private StoredStepUpPolicy NewPolicy(int configuredMinutes = 0) => new(_store.Contexts,
        new StaticOptionsMonitor(new StepUpOptions { GracePeriod = TimeSpan.FromMinutes(configuredMinutes) }), _time);

    /// <summary>One circuit of <paramref name="userId"/>: its step-up service and the settings service on top.</summary>
    private (StepUpService StepUp, SecuritySettingsService Settings) Circuit(Guid userId)
    {
        var authentication = new FakeAuthenticationStateProvider(userId);
        var stepUp = new StepUpService(_store.Get<TotpService>(), _store.Contexts, _store.Get<AuditWriter>(), authentication, _policy, _time);
        var settings = new SecuritySettingsService(_store.Contexts, _store.Get<AuditWriter>(), _policy,
            Options.Create(new Admin.Security.Authentication.SessionOptions()), authentication, stepUp, _time);
        return (stepUp, settings);
    }

    private async Task<StepUpTicket> StepUpAsync(StepUpService stepUp)
    {
        var ticket = StepUpTicket.New();
        var result = await stepUp.ChallengeAsync(ticket, StepUpUser.CodeAt(_time.GetUtcNow()), SecuritySettingsService.Operation);
        Assert.True(result.Succeeded, result.Message);
        return ticket;
    }

    private async Task<List<AuditEntryView>> SettingsAuditAsync()
    {
        await using var db = await _store.Contexts.CreateDbContextAsync();
        return await db.AuditEntries.Where(e => e.Category == "settings" && e.Action == "settings.security_changed").OrderBy(e => e.Sequence)
            .Select(e => new AuditEntryView(e.Outcome, e.Details)).ToListAsync();
    }

    private sealed record AuditEntryView(string Outcome, string Details);

    [Fact]
    public async Task SetStepUpGracePeriodAsync_OwnerAfterStepUp_SavedAuditedAndEffectiveAtOnce()
    {
        var (stepUp, settings) = Circuit(_ownerId);
        using var _ = stepUp;

        var result = await settings.SetStepUpGracePeriodAsync(5, await StepUpAsync(stepUp));

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(TimeSpan.FromMinutes(5), _policy.GracePeriod);
        Assert.True(settings.Current().GraceSetInPortal);
        var entry = Assert.Single(await SettingsAuditAsync());
        Assert.Equal(AuditVocabulary.Success, entry.Outcome);
        Assert.Contains("\"before\":\"0 min\"", entry.Details, StringComparison.Ordinal);
        Assert.Contains("\"after\":\"5 min\"", entry.Details, StringComparison.Ordinal);

        // A second instance on the same store reads the saved value at start-up.
        var other = NewPolicy(configuredMinutes: 1);
        await other.RefreshAsync();
        Assert.Equal(TimeSpan.FromMinutes(5), other.GracePeriod);
    }

    [Fact]
    public async Task SetStepUpGracePeriodAsync_WithoutStepUp_RefusedAndNothingChanged()
    {
        var (stepUp, settings) = Circuit(_ownerId);
        using var _ = stepUp;

        await Assert.ThrowsAsync<StepUpRequiredException>(() => settings.SetStepUpGracePeriodAsync(5, StepUpTicket.New()));

        Assert.Equal(TimeSpan.Zero, _policy.GracePeriod);
        Assert.Empty(await SettingsAuditAsync());
        await using var db = await _store.Contexts.CreateDbContextAsync();
        Assert.False(await db.Settings.AnyAsync());
    }

    [Theory]
    [InlineData(AdminRole.Administrator)]
    [InlineData(AdminRole.Auditor)]
    [InlineData(AdminRole.Viewer)]
    public async Task SetStepUpGracePeriodAsync_NotAnOwner_RefusedAndAuditedAsDenied(AdminRole role)
    {
        await using (var db = await _store.Contexts.CreateDbContextAsync())
        {
            await db.Users.Where(u => u.Id == _ownerId).ExecuteUpdateAsync(u => u.SetProperty(x => x.Role, role));
        }

        var (stepUp, settings) = Circuit(_ownerId);
        using var _ = stepUp;

        var result = await settings.SetStepUpGracePeriodAsync(5, await StepUpAsync(stepUp));

        Assert.False(result.Succeeded);
        Assert.Contains("Only Owners", result.Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.Zero, _policy.GracePeriod);
        Assert.Equal(AuditVocabulary.Denied, Assert.Single(await SettingsAuditAsync()).Outcome);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(16)]
    [InlineData(int.MaxValue)]
    public async Task SetStepUpGracePeriodAsync_OutOfRange_ClearMessageNothingChanged(int minutes)
    {
        var (stepUp, settings) = Circuit(_ownerId);
        using var _ = stepUp;

        var result = await settings.SetStepUpGracePeriodAsync(minutes, await StepUpAsync(stepUp));

        Assert.False(result.Succeeded);
        Assert.Contains("from 0", result.Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.Zero, _policy.GracePeriod);
        Assert.Empty(await SettingsAuditAsync());
    }

    [Fact]
    public async Task GracePeriod_ChangedByAnotherInstance_FollowedWithinThirtySeconds()
    {
        await using (var db = await _store.Contexts.CreateDbContextAsync())
        {
            db.Settings.Add(new PortalSetting { Key = StoredStepUpPolicy.Key, Value = "600", UpdatedAt = _time.GetUtcNow().UtcDateTime });
            await db.SaveChangesAsync();
        }

        Assert.Equal(TimeSpan.Zero, _policy.GracePeriod); // loaded before the change, still fresh

        _time.Advance(TimeSpan.FromSeconds(31));
        _ = _policy.GracePeriod; // a read after 30 s starts a refresh in the background
        await WaitUntilAsync(() => _policy.GracePeriod == TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task GracePeriod_StoredValueOutOfRange_ClampedToFifteenMinutes()
    {
        await using (var db = await _store.Contexts.CreateDbContextAsync())
        {
            db.Settings.Add(new PortalSetting { Key = StoredStepUpPolicy.Key, Value = "86400", UpdatedAt = _time.GetUtcNow().UtcDateTime });
            await db.SaveChangesAsync();
        }

        await _policy.RefreshAsync();

        Assert.Equal(StepUpOptions.MaxGracePeriod, _policy.GracePeriod);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition());
    }

    private sealed class StaticOptionsMonitor(StepUpOptions value) : IOptionsMonitor<StepUpOptions>
    {
        public StepUpOptions CurrentValue => value;

        public StepUpOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<StepUpOptions, string?> listener) => null;
    }
}
