using CodeRaft.Admin.Features.Account;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.StepUp;
using CodeRaft.Admin.Security.Totp;
using CodeRaft.Admin.Tests.Security.StepUp;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace CodeRaft.Admin.Tests.Features.Account;

public sealed class TotpEnrollmentServiceTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 9, 0, 10, TimeSpan.Zero));
    private TestStore _store = null!;
    private Guid _userId;

    private TotpEnrollmentService Service => _store.Get<TotpEnrollmentService>();

    private AuditActor Actor => AuditActor.User(_userId.ToString(), "bob@example.test");

    public async Task InitializeAsync()
    {
        _store = await TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret(), time: _time);
        await using var db = await _store.Contexts.CreateDbContextAsync();
        var user = new AdminUser
        {
            UserName = "bob@example.test", Email = "bob@example.test", DisplayName = "Bob", Role = AdminRole.Administrator,
            Status = AdminUserStatus.Active, CreatedAt = _time.GetUtcNow().UtcDateTime,
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

    private string CodeFor(string secretBase32) =>
        Admin.Security.Totp.Totp.Hotp(Base32.Decode(secretBase32)!, Admin.Security.Totp.Totp.StepAt(_time.GetUtcNow()));

    private async Task<AdminUser> UserAsync(Guid? id = null)
    {
        await using var db = await _store.Contexts.CreateDbContextAsync();
        return await db.Users.AsNoTracking().SingleAsync(u => u.Id == (id ?? _userId));
    }

    private async Task<List<string>> StoredHashesAsync(Guid? id = null)
    {
        await using var db = await _store.Contexts.CreateDbContextAsync();
        var userId = id ?? _userId;
        return await db.RecoveryCodes.Where(c => c.UserId == userId).Select(c => c.CodeHash).ToListAsync();
    }

    private async Task<List<(string Action, string Outcome)>> AuthAuditAsync() => await StepUpUser.AuthAuditAsync(_store);

    private async Task<(TotpEnrollment Enrollment, EnrollmentResult Result)> EnrollAsync()
    {
        var enrollment = Service.Begin(await UserAsync());
        var result = await Service.ActivateAsync(_userId, enrollment.SecretBase32, CodeFor(enrollment.SecretBase32), Actor);
        return (enrollment, result);
    }

    /// <summary>Every audit entry's full text: nothing secret may appear in any of them.</summary>
    private async Task AssertAuditNeverContainsAsync(IEnumerable<string> secrets)
    {
        await using var db = await _store.Contexts.CreateDbContextAsync();
        var entries = await db.AuditEntries.AsNoTracking().ToListAsync();
        Assert.NotEmpty(entries);
        foreach (var entry in entries)
        {
            var text = string.Join('|', entry.Action, entry.ActorName, entry.TargetId, entry.Details);
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain(secret.Replace("-", "", StringComparison.Ordinal), text, StringComparison.OrdinalIgnoreCase);
            }
        }
    }

    [Fact]
    public async Task Begin_NewUser_OtpauthUriAndQrForEmailButNothingStored()
    {
        var enrollment = Service.Begin(await UserAsync());

        Assert.Equal($"otpauth://totp/CodeRaft:bob%40example.test?secret={enrollment.SecretBase32}&issuer=CodeRaft", enrollment.OtpauthUri);
        Assert.Equal(20, Base32.Decode(enrollment.SecretBase32)!.Length);
        Assert.StartsWith("data:image/svg+xml;base64,", enrollment.QrCodeSvgDataUri, StringComparison.Ordinal);
        Assert.Null((await UserAsync()).TotpSecret);
        Assert.Empty(await AuthAuditAsync());
    }

    [Fact]
    public async Task ActivateAsync_CorrectCode_StoresEncryptedSecretAndTenHashedCodes()
    {
        var (enrollment, result) = await EnrollAsync();

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(10, result.RecoveryCodes.Count);
        Assert.Equal(10, result.RecoveryCodes.Distinct().Count());
        Assert.DoesNotContain(result.RecoveryCodes[0], result.ToString(), StringComparison.Ordinal);

        var user = await UserAsync();
        Assert.Equal(enrollment.SecretBase32, user.TotpSecret);
        Assert.Equal(_time.GetUtcNow().UtcDateTime, user.TotpEnabledAt);
        Assert.Equal(Admin.Security.Totp.Totp.StepAt(_time.GetUtcNow()), user.TotpLastStep);
        Assert.True(TotpEnrollmentService.IsEnrolled(user));

        await using (var db = await _store.Contexts.CreateDbContextAsync())
        {
            var connection = db.Database.GetDbConnection();
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT totp_secret FROM users";
            var raw = (byte[])(await command.ExecuteScalarAsync())!;
            Assert.Equal(-1, raw.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(enrollment.SecretBase32)));
            Assert.Equal(-1, raw.AsSpan().IndexOf(Base32.Decode(enrollment.SecretBase32)));
        }

        var hashes = await StoredHashesAsync();
        Assert.Equal(10, hashes.Count);
        Assert.All(result.RecoveryCodes, code =>
        {
            Assert.DoesNotContain(hashes, h => h.Contains(code, StringComparison.OrdinalIgnoreCase));
            Assert.Single(hashes, h => TotpService.RecoveryCodeMatches(code, h));
        });
        Assert.Equal([("totp.enrolled", AuditVocabulary.Success)], await AuthAuditAsync());
        await AssertAuditNeverContainsAsync([enrollment.SecretBase32, .. result.RecoveryCodes]);
    }

    [Fact]
    public async Task ActivateAsync_CorrectCode_AuditNamesTargetAndCountOnly()
    {
        await EnrollAsync();

        await using var db = await _store.Contexts.CreateDbContextAsync();
        var entry = await db.AuditEntries.SingleAsync(e => e.Action == "totp.enrolled");
        Assert.Equal("auth", entry.Category);
        Assert.Equal("user", entry.TargetType);
        Assert.Equal(_userId.ToString(), entry.TargetId);
        Assert.Equal(_userId.ToString(), entry.ActorId);
        Assert.Equal("""{"codesIssued":10}""", entry.Details);
    }

    [Fact]
    public async Task ActivateAsync_ThenSameCodeAtTotpService_RefusedAsReplay()
    {
        var (enrollment, result) = await EnrollAsync();
        Assert.True(result.Succeeded);

        var replay = await _store.Get<TotpService>().VerifyCodeAsync(_userId, CodeFor(enrollment.SecretBase32), "sign-in", Actor);

        Assert.Equal(TotpOutcome.Replayed, replay.Outcome);
        _time.Advance(TimeSpan.FromSeconds(30));
        var next = await _store.Get<TotpService>().VerifyCodeAsync(_userId, CodeFor(enrollment.SecretBase32), "sign-in", Actor);
        Assert.Equal(TotpOutcome.Accepted, next.Outcome);
    }

    [Fact]
    public async Task ActivateAsync_WrongCode_NothingStoredAndFailureAudited()
    {
        var enrollment = Service.Begin(await UserAsync());
        var right = CodeFor(enrollment.SecretBase32);
        var wrong = right == "000000" ? "111111" : "000000";

        var result = await Service.ActivateAsync(_userId, enrollment.SecretBase32, wrong, Actor);

        Assert.False(result.Succeeded);
        Assert.Equal(EnrollmentOutcome.InvalidCode, result.Outcome);
        Assert.Contains("not valid", result.Message, StringComparison.Ordinal);
        Assert.Empty(result.RecoveryCodes);
        var user = await UserAsync();
        Assert.Null(user.TotpSecret);
        Assert.Null(user.TotpEnabledAt);
        Assert.Equal(0, user.TotpLastStep);
        Assert.Empty(await StoredHashesAsync());
        Assert.Equal([("totp.enrollment_failed", AuditVocabulary.Failure)], await AuthAuditAsync());
        await AssertAuditNeverContainsAsync([enrollment.SecretBase32]);
    }

    [Fact]
    public async Task ActivateAsync_CodeOfAnotherKey_Refused()
    {
        var enrollment = Service.Begin(await UserAsync());
        var other = Service.Begin(await UserAsync());

        var result = await Service.ActivateAsync(_userId, enrollment.SecretBase32, CodeFor(other.SecretBase32), Actor);

        Assert.Equal(EnrollmentOutcome.InvalidCode, result.Outcome);
        Assert.Null((await UserAsync()).TotpSecret);
    }

    [Fact]
    public async Task ActivateAsync_AlreadyEnrolled_RefusedAndKeyUnchanged()
    {
        var (first, _) = await EnrollAsync();
        var hashesBefore = await StoredHashesAsync();
        _time.Advance(TimeSpan.FromSeconds(30));
        var second = Service.Begin(await UserAsync());

        var result = await Service.ActivateAsync(_userId, second.SecretBase32, CodeFor(second.SecretBase32), Actor);

        Assert.Equal(EnrollmentOutcome.AlreadyEnrolled, result.Outcome);
        Assert.Contains("already set up", result.Message, StringComparison.Ordinal);
        Assert.Empty(result.RecoveryCodes);
        Assert.Equal(first.SecretBase32, (await UserAsync()).TotpSecret);
        Assert.Equal(hashesBefore.Order(), (await StoredHashesAsync()).Order());
    }

    [Fact]
    public async Task ActivateAsync_TwoConcurrentActivations_ExactlyOneKeyWins()
    {
        var user = await UserAsync();
        var tabs = Enumerable.Range(0, 4).Select(_ => Service.Begin(user)).ToList();

        var results = await Task.WhenAll(tabs.Select(tab => Task.Run(() => Service.ActivateAsync(_userId, tab.SecretBase32, CodeFor(tab.SecretBase32), Actor))));

        Assert.Equal(1, results.Count(r => r.Succeeded));
        Assert.Equal(3, results.Count(r => r.Outcome == EnrollmentOutcome.AlreadyEnrolled));
        var winner = tabs[Array.FindIndex(results, r => r.Succeeded)];
        Assert.Equal(winner.SecretBase32, (await UserAsync()).TotpSecret);
        Assert.Equal(10, (await StoredHashesAsync()).Count);
    }

    [Theory]
    [InlineData("12a456", "digits only")]
    [InlineData("abcdef", "digits only")]
    [InlineData("12345", "exactly 6 digits; this one has 5")]
    [InlineData("1234567", "exactly 6 digits; this one has 7")]
    [InlineData("", "Enter the 6-digit code")]
    [InlineData("   ", "Enter the 6-digit code")]
    [InlineData(null, "Enter the 6-digit code")]
    public async Task ActivateAsync_MalformedCode_ClearMessageNothingStored(string? input, string message)
    {
        var enrollment = Service.Begin(await UserAsync());

        var result = await Service.ActivateAsync(_userId, enrollment.SecretBase32, input, Actor);

        Assert.Equal(EnrollmentOutcome.InvalidCode, result.Outcome);
        Assert.Contains(message, result.Message, StringComparison.Ordinal);
        Assert.Null((await UserAsync()).TotpSecret);
        Assert.Empty(await StoredHashesAsync());
    }

    [Fact]
    public async Task ActivateAsync_TenKilobyteCode_ClearMessageNothingStored()
    {
        var enrollment = Service.Begin(await UserAsync());

        var result = await Service.ActivateAsync(_userId, enrollment.SecretBase32, new string('9', 10_240), Actor);

        Assert.Equal(EnrollmentOutcome.InvalidCode, result.Outcome);
        Assert.Equal("That is not a code: a code has 6 digits.", result.Message);
        Assert.Null((await UserAsync()).TotpSecret);
        Assert.Empty(await StoredHashesAsync());
    }

    [Fact]
    public async Task ActivateAsync_CodeWithSpaces_Accepted()
    {
        var enrollment = Service.Begin(await UserAsync());
        var code = CodeFor(enrollment.SecretBase32);

        var result = await Service.ActivateAsync(_userId, enrollment.SecretBase32, $" {code[..3]} {code[3..]} ", Actor);

        Assert.True(result.Succeeded, result.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not base32!")]
    [InlineData("ABCDEFGH")] // 40 bits: too short to be a key from Begin
    public async Task ActivateAsync_InvalidPendingSecret_RefusedAsExpired(string pending)
    {
        var result = await Service.ActivateAsync(_userId, pending, "123456", Actor);

        Assert.Equal(EnrollmentOutcome.EnrollmentExpired, result.Outcome);
        Assert.Contains("Start the setup again", result.Message, StringComparison.Ordinal);
        Assert.Null((await UserAsync()).TotpSecret);
    }

    [Fact]
    public async Task ActivateAsync_UnknownUser_Refused()
    {
        var enrollment = Service.Begin(await UserAsync());

        var result = await Service.ActivateAsync(Guid.NewGuid(), enrollment.SecretBase32, CodeFor(enrollment.SecretBase32), Actor);

        Assert.Equal(EnrollmentOutcome.UserNotFound, result.Outcome);
    }

    [Fact]
    public async Task RegenerateRecoveryCodesAsync_WithoutStepUp_ThrowsAndCodesUnchanged()
    {
        var aliceId = await StepUpUser.SeedAsync(_store, _time.GetUtcNow());
        var before = await StoredHashesAsync(aliceId);
        using var stepUp = Circuit(aliceId);

        await Assert.ThrowsAsync<StepUpRequiredException>(() =>
            Service.RegenerateRecoveryCodesAsync(aliceId, stepUp, StepUpTicket.New(), AuditActor.User(aliceId.ToString(), "alice@example.test")));
        await Assert.ThrowsAsync<StepUpRequiredException>(() =>
            Service.RegenerateRecoveryCodesAsync(aliceId, stepUp, null, AuditActor.User(aliceId.ToString(), "alice@example.test")));

        Assert.Equal(before.Order(), (await StoredHashesAsync(aliceId)).Order());
        Assert.Equal([("stepup.required", AuditVocabulary.Denied), ("stepup.required", AuditVocabulary.Denied)], await AuthAuditAsync());
    }

    [Fact]
    public async Task RegenerateRecoveryCodesAsync_WithStepUp_TenNewCodesOldOnesNoLongerMatch()
    {
        var aliceId = await StepUpUser.SeedAsync(_store, _time.GetUtcNow());
        using var stepUp = Circuit(aliceId);
        var ticket = StepUpTicket.New();
        Assert.True((await stepUp.ChallengeAsync(ticket, StepUpUser.CodeAt(_time.GetUtcNow()), TotpEnrollmentService.RegenerateOperation)).Succeeded);

        var codes = await Service.RegenerateRecoveryCodesAsync(aliceId, stepUp, ticket, AuditActor.User(aliceId.ToString(), "alice@example.test"));

        Assert.Equal(10, codes.Distinct().Count());
        var hashes = await StoredHashesAsync(aliceId);
        Assert.Equal(10, hashes.Count);
        Assert.All(codes, code => Assert.Single(hashes, h => TotpService.RecoveryCodeMatches(code, h)));
        Assert.All(StepUpUser.RecoveryCodes, old => Assert.DoesNotContain(hashes, h => TotpService.RecoveryCodeMatches(old, h)));
        Assert.Equal(("totp.recovery_codes_regenerated", AuditVocabulary.Success), (await AuthAuditAsync())[^1]);
        await AssertAuditNeverContainsAsync([Base32.Encode("12345678901234567890"u8), .. codes, .. StepUpUser.RecoveryCodes]);
    }

    [Fact]
    public async Task RegenerateRecoveryCodesAsync_StepUpOfAnotherUser_RefusedAndCodesUnchanged()
    {
        var aliceId = await StepUpUser.SeedAsync(_store, _time.GetUtcNow());
        var (_, bobEnrollment) = await EnrollAsync();
        var bobHashes = await StoredHashesAsync();
        using var stepUp = Circuit(aliceId);
        var ticket = StepUpTicket.New();
        Assert.True((await stepUp.ChallengeAsync(ticket, StepUpUser.CodeAt(_time.GetUtcNow()), TotpEnrollmentService.RegenerateOperation)).Succeeded);

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() =>
            Service.RegenerateRecoveryCodesAsync(_userId, stepUp, ticket, AuditActor.User(aliceId.ToString(), "alice@example.test")));

        Assert.True(bobEnrollment.Succeeded);
        Assert.Equal(bobHashes.Order(), (await StoredHashesAsync()).Order());
    }

    [Fact]
    public async Task ResetMfaAsync_EnrolledUser_ClearsEverythingAndAudits()
    {
        var (enrollment, result) = await EnrollAsync();
        await _store.Get<TotpService>().VerifyCodeAsync(_userId, "000000", "sign-in", Actor); // a failure to clear
        var stampBefore = (await UserAsync()).SecurityStamp;

        // The one way to reset MFA: user management (here as the host CLI, the break-glass path).
        var reset = await _store.Get<UserManagementCore>().ResetMfaAsync(UserOperator.HostCli, _userId, "lost phone, ticket #4711");

        Assert.True(reset.Succeeded, reset.Message);

        var user = await UserAsync();
        Assert.False(TotpEnrollmentService.IsEnrolled(user));
        Assert.Null(user.TotpSecret);
        Assert.Null(user.TotpEnabledAt);
        Assert.Equal(0, user.TotpLastStep);
        Assert.Equal(0, user.TotpFailures);
        Assert.Null(user.TotpLockedUntil);
        Assert.NotEqual(stampBefore, user.SecurityStamp);
        Assert.Empty(await StoredHashesAsync());
        await using (var db = await _store.Contexts.CreateDbContextAsync())
        {
            var entry = await db.AuditEntries.SingleAsync(e => e.Action == "user.mfa_reset");
            Assert.Equal(AuditVocabulary.Success, entry.Outcome);
            Assert.Equal("cli", entry.ActorType);
            Assert.Equal(_userId.ToString(), entry.TargetId);
            Assert.Contains("lost phone, ticket #4711", entry.Details, StringComparison.Ordinal);
            Assert.Contains("\"codesDeleted\":10", entry.Details, StringComparison.Ordinal);
        }

        await AssertAuditNeverContainsAsync([enrollment.SecretBase32, .. result.RecoveryCodes]);
        var verify = await _store.Get<TotpService>().VerifyCodeAsync(_userId, CodeFor(enrollment.SecretBase32), "sign-in", Actor);
        Assert.Equal(TotpOutcome.NotEnrolled, verify.Outcome);
    }

    [Fact]
    public async Task ResetMfaAsync_ThenActivate_NewKeyAccepted()
    {
        var (first, _) = await EnrollAsync();
        await _store.Get<UserManagementCore>().ResetMfaAsync(UserOperator.HostCli, _userId, "new phone");

        var (second, result) = await EnrollAsync();

        Assert.True(result.Succeeded, result.Message);
        Assert.NotEqual(first.SecretBase32, second.SecretBase32);
        Assert.Equal(second.SecretBase32, (await UserAsync()).TotpSecret);
    }

    [Theory]
    [InlineData("ticket\n#4711")]
    [InlineData("\u202Eevil")]
    public async Task ResetMfaAsync_ReasonWithControlCharacters_InvalidAndNothingChanged(string reason)
    {
        var (enrollment, _) = await EnrollAsync();

        var result = await _store.Get<UserManagementCore>().ResetMfaAsync(UserOperator.HostCli, _userId, System.Text.RegularExpressions.Regex.Unescape(reason));

        Assert.Equal(UserOperationOutcome.Invalid, result.Outcome);

        Assert.Equal(enrollment.SecretBase32, (await UserAsync()).TotpSecret);
        Assert.Equal(10, (await StoredHashesAsync()).Count);
    }

    private StepUpService Circuit(Guid userId) =>
        new(_store.Get<TotpService>(), _store.Contexts, _store.Get<AuditWriter>(), new FakeAuthenticationStateProvider(userId), new FixedStepUpPolicy(TimeSpan.Zero), _time);
}
