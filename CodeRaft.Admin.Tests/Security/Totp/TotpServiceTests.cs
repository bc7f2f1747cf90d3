using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.Totp;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace CodeRaft.Admin.Tests.Security.Totp;

public sealed class TotpServiceTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 9, 0, 10, TimeSpan.Zero));
    private readonly string _secret = Base32.Encode("12345678901234567890"u8);
    private TestStore _store = null!;
    private Guid _userId;

    private TotpService Service => _store.Get<TotpService>();

    public async Task InitializeAsync()
    {
        _store = await TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret(), time: _time);
        await using var db = await _store.Contexts.CreateDbContextAsync();
        var user = new AdminUser
        {
            UserName = "alice@example.test", Email = "alice@example.test", DisplayName = "Alice", Role = AdminRole.Owner,
            Status = AdminUserStatus.Active, TotpSecret = _secret, TotpEnabledAt = _time.GetUtcNow().UtcDateTime, CreatedAt = _time.GetUtcNow().UtcDateTime,
        };
        db.Users.Add(user);
        await db.SaveChangesAsync();
        _userId = user.Id;
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _data.Dispose();
    }

    private static string CodeAt(DateTimeOffset time) => Admin.Security.Totp.Totp.Hotp("12345678901234567890"u8, Admin.Security.Totp.Totp.StepAt(time));

    private Task<TotpResult> VerifyAsync(string? code) =>
        Service.VerifyCodeAsync(_userId, code, "step-up", AuditActor.User(_userId.ToString(), "Alice"), "203.0.113.5");

    private async Task<List<string>> AuditActionsAsync()
    {
        await using var db = await _store.Contexts.CreateDbContextAsync();
        return await db.AuditEntries.Where(e => e.Category == "auth").OrderBy(e => e.Sequence).Select(e => e.Action).ToListAsync();
    }

    [Fact]
    public async Task VerifyCodeAsync_CurrentCode_AcceptedAndAudited()
    {
        var result = await VerifyAsync(CodeAt(_time.GetUtcNow()));

        Assert.Equal(TotpOutcome.Accepted, result.Outcome);
        Assert.Equal(["totp.verified"], await AuditActionsAsync());
        await using var db = await _store.Contexts.CreateDbContextAsync();
        Assert.Equal(Admin.Security.Totp.Totp.StepAt(_time.GetUtcNow()), (await db.Users.SingleAsync()).TotpLastStep);
    }

    [Fact]
    public async Task VerifyCodeAsync_SameCodeTwice_SecondIsReplay()
    {
        var code = CodeAt(_time.GetUtcNow());

        Assert.Equal(TotpOutcome.Accepted, (await VerifyAsync(code)).Outcome);
        var replay = await VerifyAsync(code);

        Assert.Equal(TotpOutcome.Replayed, replay.Outcome);
        Assert.Contains("already used", replay.Message, StringComparison.Ordinal);
        Assert.Equal(["totp.verified", "totp.replayed"], await AuditActionsAsync());
    }

    [Fact]
    public async Task VerifyCodeAsync_OlderStepAfterNewerAccepted_RefusedAsReplay()
    {
        Assert.Equal(TotpOutcome.Accepted, (await VerifyAsync(CodeAt(_time.GetUtcNow()))).Outcome);

        var previous = await VerifyAsync(CodeAt(_time.GetUtcNow().AddSeconds(-30)));

        Assert.Equal(TotpOutcome.Replayed, previous.Outcome);
    }

    [Fact]
    public async Task VerifyCodeAsync_TwoConcurrentSubmissionsOfOneCode_ExactlyOneSucceeds()
    {
        for (var round = 0; round < 5; round++)
        {
            _time.Advance(TimeSpan.FromSeconds(30));
            var code = CodeAt(_time.GetUtcNow());
            var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => VerifyAsync(code))));

            Assert.Equal(1, results.Count(r => r.Outcome == TotpOutcome.Accepted));
            Assert.Equal(3, results.Count(r => r.Outcome == TotpOutcome.Replayed));
        }
    }

    [Fact]
    public async Task VerifyCodeAsync_FiveWrongCodes_LockedFifteenMinutesAndAudited()
    {
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(TotpOutcome.Invalid, (await VerifyAsync("000000")).Outcome);
        }

        var fifth = await VerifyAsync("000000");
        Assert.Equal(TotpOutcome.LockedOut, fifth.Outcome);
        Assert.Equal(_time.GetUtcNow().AddMinutes(15), fifth.LockedUntil);

        // Even the right code is refused while locked.
        var right = await VerifyAsync(CodeAt(_time.GetUtcNow()));
        Assert.Equal(TotpOutcome.LockedOut, right.Outcome);
        Assert.Contains("locked until 09:15 UTC", right.Message, StringComparison.Ordinal);

        _time.Advance(TimeSpan.FromMinutes(15).Add(TimeSpan.FromSeconds(1)));
        Assert.Equal(TotpOutcome.Accepted, (await VerifyAsync(CodeAt(_time.GetUtcNow()))).Outcome);
        Assert.Equal(
            ["totp.failed", "totp.failed", "totp.failed", "totp.failed", "totp.failed", "totp.locked", "totp.locked_out", "totp.verified"],
            await AuditActionsAsync());
    }

    [Fact]
    public async Task VerifyCodeAsync_SuccessResetsFailureCount()
    {
        for (var i = 0; i < 4; i++)
        {
            await VerifyAsync("000000");
        }

        Assert.Equal(TotpOutcome.Accepted, (await VerifyAsync(CodeAt(_time.GetUtcNow()))).Outcome);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(TotpOutcome.Invalid, (await VerifyAsync("000000")).Outcome);
        }
    }

    [Theory]
    [InlineData("12a456", "digits only", true)]
    [InlineData("12345", "exactly 6 digits", true)]
    [InlineData("1234567", "exactly 6 digits", true)]
    [InlineData("", "Enter the 6-digit code", false)]
    public async Task VerifyCodeAsync_MalformedInput_ClearMessageCountedAsFailureWhenSubmitted(string input, string message, bool counted)
    {
        var result = await VerifyAsync(input);

        Assert.Equal(TotpOutcome.Invalid, result.Outcome);
        Assert.Contains(message, result.Message, StringComparison.Ordinal);
        Assert.Equal(counted ? ["totp.failed"] : [], await AuditActionsAsync());
    }

    [Fact]
    public async Task VerifyCodeAsync_TenKilobyteInput_ClearMessageNoError()
    {
        var result = await VerifyAsync(new string('9', 10_240));

        Assert.Equal(TotpOutcome.Invalid, result.Outcome);
        Assert.Equal("That is not a code: a code has 6 digits.", result.Message);
    }

    [Fact]
    public async Task TotpSecret_StoredEncrypted_NotInPlaintextColumn()
    {
        await using var db = await _store.Contexts.CreateDbContextAsync();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT totp_secret FROM users";
        var stored = (byte[])(await command.ExecuteScalarAsync())!;

        Assert.Equal(-1, stored.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(_secret)));
        Assert.Equal(_secret, (await db.Users.AsNoTracking().SingleAsync()).TotpSecret);
    }

    [Fact]
    public void RecoveryCodes_TenDistinctSingleUseCodes_HashedWithSalt()
    {
        var codes = TotpService.NewRecoveryCodes();

        Assert.Equal(10, codes.Distinct().Count());
        Assert.All(codes, c => Assert.Matches("^([a-z2-9]{4}-){3}[a-z2-9]{4}$", c));
        var stored = TotpService.HashRecoveryCode(codes[0]);
        Assert.DoesNotContain(codes[0], stored, StringComparison.Ordinal);
        Assert.NotEqual(stored, TotpService.HashRecoveryCode(codes[0])); // salted
        Assert.True(TotpService.RecoveryCodeMatches(codes[0].ToUpperInvariant().Replace("-", " ", StringComparison.Ordinal), stored));
        Assert.False(TotpService.RecoveryCodeMatches(codes[1], stored));
    }
}
