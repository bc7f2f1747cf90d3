using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Security.StepUp;
using CodeRaft.Admin.Security.Totp;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CodeRaft.Admin.Tests.Security.StepUp;

public sealed class StepUpServiceTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 9, 0, 10, TimeSpan.Zero));
    private readonly FixedStepUpPolicy _policy = new(TimeSpan.Zero);
    private TestStore _store = null!;
    private Guid _userId;

    public async Task InitializeAsync()
    {
        _store = await TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret(), time: _time);
        _userId = await StepUpUser.SeedAsync(_store, _time.GetUtcNow());
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _data.Dispose();
    }

    /// <summary>One circuit (one browser tab) of the signed-in user, or of nobody.</summary>
    private StepUpService Circuit(FakeAuthenticationStateProvider? authentication = null) =>
        new(_store.Get<TotpService>(), _store.Contexts, _store.Get<AuditWriter>(), authentication ?? new FakeAuthenticationStateProvider(_userId), _policy, _time);

    private string CurrentCode() => StepUpUser.CodeAt(_time.GetUtcNow());

    [Fact]
    public async Task DemandAsync_WithoutStepUp_ThrowsAndAuditsDenied()
    {
        using var stepUp = Circuit();

        var refused = await Assert.ThrowsAsync<StepUpRequiredException>(() => stepUp.DemandAsync(StepUpTicket.New(), "user.disable"));

        Assert.Equal("Step-up required: confirm with a code from your authenticator app.", refused.Message);
        Assert.Equal([("stepup.required", AuditVocabulary.Denied)], await StepUpUser.AuthAuditAsync(_store));
        await using var db = await _store.Contexts.CreateDbContextAsync();
        var entry = await db.AuditEntries.SingleAsync(e => e.Action == "stepup.required");
        Assert.Contains("user.disable", entry.Details, StringComparison.Ordinal);
        Assert.Equal(_userId.ToString(), entry.ActorId);
    }

    [Fact]
    public async Task DemandAsync_NullTicket_Refused()
    {
        using var stepUp = Circuit();
        await stepUp.ChallengeAsync(StepUpTicket.New(), CurrentCode(), "user.disable");

        await Assert.ThrowsAsync<StepUpRequiredException>(() => stepUp.DemandAsync(null, "user.disable"));
        await Assert.ThrowsAsync<StepUpRequiredException>(() => stepUp.DemandAsync(default(StepUpTicket), "user.disable"));
    }

    [Fact]
    public async Task DemandAsync_AfterValidCodeWithoutGrace_ThatTicketPassesAnotherTicketRefused()
    {
        using var stepUp = Circuit();
        var gate = StepUpTicket.New();
        var otherGate = StepUpTicket.New();

        var result = await stepUp.ChallengeAsync(gate, CurrentCode(), "user.disable");

        Assert.True(result.Succeeded);
        Assert.True(stepUp.IsUnlocked(gate));
        Assert.False(stepUp.IsUnlocked(otherGate));
        await stepUp.DemandAsync(gate, "user.disable");
        _time.Advance(StepUpOptions.MaxTicketAge - TimeSpan.FromSeconds(1)); // the component stays unlocked while in use ...
        await stepUp.DemandAsync(gate, "user.disable");
        await Assert.ThrowsAsync<StepUpRequiredException>(() => stepUp.DemandAsync(otherGate, "apikey.create"));
        _time.Advance(TimeSpan.FromSeconds(1)); // ... but an unattended tab must challenge again
        await Assert.ThrowsAsync<StepUpRequiredException>(() => stepUp.DemandAsync(gate, "user.disable"));
    }

    [Fact]
    public async Task DemandAsync_GraceFiveMinutes_AnotherTicketPassesUntilGraceElapses()
    {
        _policy.GracePeriod = TimeSpan.FromMinutes(5);
        using var stepUp = Circuit();
        var otherGate = StepUpTicket.New();
        Assert.True((await stepUp.ChallengeAsync(StepUpTicket.New(), CurrentCode(), "user.disable")).Succeeded);

        _time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        Assert.True(stepUp.IsUnlocked(otherGate));
        await stepUp.DemandAsync(otherGate, "apikey.create");

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(stepUp.IsUnlocked(otherGate));
        await Assert.ThrowsAsync<StepUpRequiredException>(() => stepUp.DemandAsync(otherGate, "apikey.create"));
    }

    [Fact]
    public async Task DemandAsync_AnotherCircuitOfSameUser_NotUnlockedByFirst()
    {
        _policy.GracePeriod = TimeSpan.FromMinutes(15);
        using var firstTab = Circuit();
        using var secondTab = Circuit();
        var gate = StepUpTicket.New();
        Assert.True((await firstTab.ChallengeAsync(gate, CurrentCode(), "user.disable")).Succeeded);

        // Even the very ticket of the first tab means nothing to the second, grace or not.
        Assert.False(secondTab.IsUnlocked(gate));
        await Assert.ThrowsAsync<StepUpRequiredException>(() => secondTab.DemandAsync(gate, "user.disable"));
        await Assert.ThrowsAsync<StepUpRequiredException>(() => secondTab.DemandAsync(StepUpTicket.New(), "user.disable"));
    }

    [Fact]
    public async Task ChallengeAsync_ReplayedCode_DoesNotUnlock()
    {
        using var stepUp = Circuit();
        var code = CurrentCode();
        Assert.True((await stepUp.ChallengeAsync(StepUpTicket.New(), code, "user.disable")).Succeeded);
        var otherGate = StepUpTicket.New();

        var replay = await stepUp.ChallengeAsync(otherGate, code, "apikey.create");

        Assert.Equal(TotpOutcome.Replayed, replay.Outcome);
        Assert.False(stepUp.IsUnlocked(otherGate));
        await Assert.ThrowsAsync<StepUpRequiredException>(() => stepUp.DemandAsync(otherGate, "apikey.create"));
    }

    [Fact]
    public async Task ChallengeAsync_WrongCode_DoesNotUnlock()
    {
        using var stepUp = Circuit();
        var gate = StepUpTicket.New();

        var result = await stepUp.ChallengeAsync(gate, "000000", "user.disable");

        Assert.Equal(TotpOutcome.Invalid, result.Outcome);
        Assert.False(stepUp.IsUnlocked(gate));
    }

    [Fact]
    public async Task ChallengeWithRecoveryCodeAsync_ValidCode_UnlocksOnceAndCannotBeReused()
    {
        using var stepUp = Circuit();
        var gate = StepUpTicket.New();
        var otherGate = StepUpTicket.New();

        var first = await stepUp.ChallengeWithRecoveryCodeAsync(gate, "ABCDE FGHJK", "user.disable");
        var reuse = await stepUp.ChallengeWithRecoveryCodeAsync(otherGate, StepUpUser.RecoveryCodes[0], "user.disable");

        Assert.True(first.Succeeded);
        await stepUp.DemandAsync(gate, "user.disable");
        Assert.False(reuse.Succeeded);
        Assert.Contains("already used", reuse.Message, StringComparison.Ordinal);
        Assert.False(stepUp.IsUnlocked(otherGate));
        Assert.Equal([("recovery_code.used", AuditVocabulary.Success), ("recovery_code.failed", AuditVocabulary.Failure)],
            await StepUpUser.AuthAuditAsync(_store));
        await using var db = await _store.Contexts.CreateDbContextAsync();
        Assert.Equal(1, await db.RecoveryCodes.CountAsync(c => c.UsedAt != null));
    }

    [Fact]
    public async Task ChallengeWithRecoveryCodeAsync_ConcurrentSubmissionsOfOneCode_ExactlyOneSucceeds()
    {
        var tabs = Enumerable.Range(0, 4).Select(_ => Circuit()).ToList();

        var results = await Task.WhenAll(tabs.Select(tab => Task.Run(() => tab.ChallengeWithRecoveryCodeAsync(StepUpTicket.New(), StepUpUser.RecoveryCodes[1], "user.disable"))));

        Assert.Equal(1, results.Count(r => r.Succeeded));
        tabs.ForEach(tab => tab.Dispose());
    }

    [Fact]
    public async Task ChallengeWithRecoveryCodeAsync_FiveWrongCodes_LocksTotpAndRecoveryCodesAlike()
    {
        using var stepUp = Circuit();

        for (var i = 0; i < 5; i++)
        {
            _ = await stepUp.ChallengeWithRecoveryCodeAsync(StepUpTicket.New(), $"aaaa-bbbb-cccc-{i:0000}", "user.disable");
        }

        var validRecovery = await stepUp.ChallengeWithRecoveryCodeAsync(StepUpTicket.New(), StepUpUser.RecoveryCodes[1], "user.disable");
        var validTotp = await stepUp.ChallengeAsync(StepUpTicket.New(), CurrentCode(), "user.disable");

        Assert.Equal(TotpOutcome.LockedOut, validRecovery.Outcome);
        Assert.Equal(TotpOutcome.LockedOut, validTotp.Outcome);
        var audit = await StepUpUser.AuthAuditAsync(_store);
        Assert.Equal(5, audit.Count(e => e == ("recovery_code.failed", AuditVocabulary.Failure)));
        Assert.Contains(("totp.locked", AuditVocabulary.Denied), audit);
    }

    [Fact]
    public async Task ChallengeWithRecoveryCodeAsync_TenKilobyteInput_ClearMessageNoUnlock()
    {
        using var stepUp = Circuit();
        var gate = StepUpTicket.New();

        var result = await stepUp.ChallengeWithRecoveryCodeAsync(gate, new string('a', 10 * 1024), "user.disable");

        Assert.False(result.Succeeded);
        Assert.Contains("not a recovery code", result.Message, StringComparison.Ordinal);
        Assert.False(stepUp.IsUnlocked(gate));
    }

    [Fact]
    public async Task DemandAsync_NoAuthenticatedUser_RefusedAndChallengeFails()
    {
        using var stepUp = Circuit(new FakeAuthenticationStateProvider());
        var gate = StepUpTicket.New();

        var challenge = await stepUp.ChallengeAsync(gate, CurrentCode(), "user.disable");

        Assert.False(challenge.Succeeded);
        Assert.Contains("Sign in", challenge.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<StepUpRequiredException>(() => stepUp.DemandAsync(gate, "user.disable"));
        await using var db = await _store.Contexts.CreateDbContextAsync();
        var entry = await db.AuditEntries.SingleAsync(e => e.Action == "stepup.required");
        Assert.Equal(("anonymous", AuditVocabulary.Denied), (entry.ActorType, entry.Outcome));
    }

    [Fact]
    public async Task DemandAsync_UserChangedInCircuit_EarlierUnlockGone()
    {
        var authentication = new FakeAuthenticationStateProvider(_userId);
        using var stepUp = Circuit(authentication);
        var gate = StepUpTicket.New();
        Assert.True((await stepUp.ChallengeAsync(gate, CurrentCode(), "user.disable")).Succeeded);

        authentication.SignIn(Guid.NewGuid(), "mallory@example.test");

        Assert.False(stepUp.IsUnlocked(gate));
        await Assert.ThrowsAsync<StepUpRequiredException>(() => stepUp.DemandAsync(gate, "user.disable"));
        authentication.SignIn(_userId);
        await Assert.ThrowsAsync<StepUpRequiredException>(() => stepUp.DemandAsync(gate, "user.disable"));
    }

    [Theory]
    [InlineData(null, 0)]
    [InlineData("00:05:00", 5)]
    [InlineData("00:15:00", 15)]
    [InlineData("01:00:00", 15)]
    [InlineData("-00:05:00", 0)]
    public void GracePeriod_FromConfiguration_ClampedToZeroToFifteenMinutes(string? configured, int expectedMinutes)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Security:StepUp:GracePeriod"] = configured })
            .Build();
        using var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddStepUp().BuildServiceProvider();

        Assert.Equal(TimeSpan.FromMinutes(expectedMinutes), services.GetRequiredService<IStepUpPolicy>().GracePeriod);
    }
}
