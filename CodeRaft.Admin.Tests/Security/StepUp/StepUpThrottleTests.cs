using System.Net;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Security.StepUp;
using CodeRaft.Admin.Security.Throttling;
using CodeRaft.Admin.Security.Totp;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CodeRaft.Admin.Tests.Security.StepUp;

/// <summary>The per-address brake on step-up codes (issue 7), on top of the per-account TOTP lock.</summary>
public sealed class StepUpThrottleTests : IAsyncLifetime
{
    private const int PerMinute = 3;
    private readonly TempDirectory _data = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 9, 0, 10, TimeSpan.Zero));
    private TestStore _store = null!;
    private Guid _userId;
    private DenialAggregator _denials = null!;
    private StepUpThrottle _throttle = null!;

    public async Task InitializeAsync()
    {
        _store = await TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret(), time: _time);
        _userId = await StepUpUser.SeedAsync(_store, _time.GetUtcNow());
        _denials = new DenialAggregator(_store.Get<AuditWriter>(), _time, Options.Create(new DenialAuditOptions()), NullLogger<DenialAggregator>.Instance);
        _throttle = new StepUpThrottle(_time, Options.Create(new StepUpThrottleOptions { AttemptsPerMinutePerAddress = PerMinute }), _denials);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _data.Dispose();
    }

    private StepUpService Circuit(string address) => new(_store.Get<TotpService>(), _store.Contexts, _store.Get<AuditWriter>(),
        new FakeAuthenticationStateProvider(_userId), new FixedStepUpPolicy(TimeSpan.Zero), _time, _throttle,
        new CircuitClient { Address = IPAddress.Parse(address) });

    [Fact]
    public async Task ChallengeAsync_OverTheAddressBudget_RefusedWithoutCheckingTheCodeAndAuditedOnce()
    {
        using var first = Circuit("192.0.2.10");
        using var second = Circuit("192.0.2.10"); // another tab from the same address shares the budget
        for (var i = 0; i < PerMinute; i++)
        {
            var wrong = await (i % 2 == 0 ? first : second).ChallengeAsync(StepUpTicket.New(), "000000", "settings.security");
            Assert.Equal(TotpOutcome.Invalid, wrong.Outcome);
            Assert.DoesNotContain("Too many", wrong.Message, StringComparison.Ordinal);
        }

        // Even the right code is not looked at now.
        var ticket = StepUpTicket.New();
        var braked = await first.ChallengeAsync(ticket, StepUpUser.CodeAt(_time.GetUtcNow()), "settings.security");
        Assert.False(braked.Succeeded);
        Assert.StartsWith("Too many codes were tried from your address. Wait ", braked.Message, StringComparison.Ordinal);
        Assert.False(first.IsUnlocked(ticket));
        var recovery = await second.ChallengeWithRecoveryCodeAsync(StepUpTicket.New(), StepUpUser.RecoveryCodes[0], "settings.security");
        Assert.StartsWith("Too many codes", recovery.Message, StringComparison.Ordinal);

        // Another address has its own budget.
        using var other = Circuit("198.51.100.20");
        Assert.True((await other.ChallengeAsync(StepUpTicket.New(), StepUpUser.CodeAt(_time.GetUtcNow()), "settings.security")).Succeeded);

        // A minute later the address may try again.
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.True((await first.ChallengeAsync(StepUpTicket.New(), StepUpUser.CodeAt(_time.GetUtcNow()), "settings.security")).Succeeded);

        await _denials.FlushAsync(includeOpenWindow: true);
        await using var db = await _store.Contexts.CreateDbContextAsync();
        var entry = Assert.Single(await db.AuditEntries.AsNoTracking().Where(e => e.Action == "stepup.rate_limited").ToListAsync());
        Assert.Equal(("denied", "192.0.2.10", "user"), (entry.Outcome, entry.SourceIp, entry.ActorType));
        Assert.Contains("\"count\":2", entry.Details, StringComparison.Ordinal);
        // The codes that were checked are audited with the circuit's address.
        Assert.All(await db.AuditEntries.AsNoTracking().Where(e => e.Action == "totp.failed").ToListAsync(), e => Assert.Equal("192.0.2.10", e.SourceIp));
        // The recovery code was not spent by the refused attempt.
        Assert.Equal(2, await db.RecoveryCodes.CountAsync(c => c.UsedAt == null));
    }
}
