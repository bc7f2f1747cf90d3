using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Setup;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.Authentication;
using CodeRaft.Admin.Tests.Features.Audit.Viewer;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Tests.Features.Setup;

public sealed class FirstOwnerServiceTests : IAsyncLifetime
{
    private const string Password = "correct horse battery staple";
    private const string SourceIp = "203.0.113.7";

    private readonly TempDirectory _data = new();
    private TestStore _store = null!;
    private string _token = "";

    private FirstOwnerService Service => _store.Get<FirstOwnerService>();

    public async Task InitializeAsync()
    {
        _store = await TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret());
        var tokens = _store.Get<SetupTokenService>();
        await tokens.InitializeAsync(); // what the web server's start-up does
        _token = (await File.ReadAllTextAsync(tokens.FilePath)).Trim();
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _data.Dispose();
    }

    private FirstOwnerInput Input(string? token = null, string email = "owner@example.test", string displayName = "Olivia Owner", string password = Password) =>
        new() { SetupToken = token ?? _token, Email = email, DisplayName = displayName, Password = password };

    private async Task<List<AdminUser>> UsersAsync()
    {
        await using var db = await _store.Contexts.CreateDbContextAsync();
        return await db.Users.AsNoTracking().ToListAsync();
    }

    private async Task<List<AuditEntry>> AuditAsync(string action)
    {
        await using var db = await _store.Contexts.CreateDbContextAsync();
        return await db.AuditEntries.AsNoTracking().Where(e => e.Action == action).OrderBy(e => e.Sequence).ToListAsync();
    }

    [Fact]
    public async Task CreateAsync_ValidInput_CreatesActiveOwnerWithVerifiablePasswordHash()
    {
        var result = await Service.CreateAsync(Input(email: "  Owner@Example.test "), SourceIp);

        Assert.Equal(FirstOwnerOutcome.Created, result.Outcome);
        var user = Assert.Single(await UsersAsync());
        Assert.Equal(result.UserId, user.Id);
        Assert.Equal((AdminRole.Owner, AdminUserStatus.Active), (user.Role, user.Status));
        Assert.Equal(("Owner@Example.test", "Owner@Example.test"), (user.UserName, user.Email));
        Assert.Equal(("OWNER@EXAMPLE.TEST", "OWNER@EXAMPLE.TEST"), (user.NormalizedUserName, user.NormalizedEmail));
        Assert.Equal("Olivia Owner", user.DisplayName);
        Assert.False(string.IsNullOrEmpty(user.SecurityStamp));
        Assert.Null(user.TotpSecret); // TOTP enrollment comes next
        var hasher = new PasswordHasher<AdminUser>();
        Assert.Equal(PasswordVerificationResult.Success, hasher.VerifyHashedPassword(user, user.PasswordHash!, Password));
        Assert.Equal(PasswordVerificationResult.Failed, hasher.VerifyHashedPassword(user, user.PasswordHash!, Password + "!"));
    }

    [Fact]
    public async Task CreateAsync_ValidInput_AuditsUserCreatedWithoutPasswordOrToken()
    {
        var result = await Service.CreateAsync(Input(), SourceIp);

        var entry = Assert.Single(await AuditAsync("user.created"));
        Assert.Equal(("users", "success", "anonymous", SourceIp), (entry.Category, entry.Outcome, entry.ActorType, entry.SourceIp));
        Assert.Equal(("user", result.UserId.ToString()), (entry.TargetType, entry.TargetId));
        Assert.Contains("\"role\":\"Owner\"", entry.Details, StringComparison.Ordinal);
        Assert.Contains("\"email\":\"owner@example.test\"", entry.Details, StringComparison.Ordinal);
        await using var db = await _store.Contexts.CreateDbContextAsync();
        foreach (var details in await db.AuditEntries.Select(e => e.Details).ToListAsync())
        {
            Assert.DoesNotContain(Password, details, StringComparison.Ordinal);
            Assert.DoesNotContain(_token, details, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task CreateAsync_TokenUsedOnce_SecondCallRefusedAndFileDeleted()
    {
        Assert.True((await Service.CreateAsync(Input(), SourceIp)).Succeeded);

        var second = await Service.CreateAsync(Input(email: "mallory@example.test"), SourceIp);

        Assert.Equal(FirstOwnerOutcome.AlreadyCompleted, second.Outcome);
        Assert.Equal([FirstOwnerService.AlreadyCompletedMessage], second.Errors);
        Assert.False(File.Exists(_store.Get<SetupTokenService>().FilePath));
        Assert.False(_store.Get<SetupTokenService>().Validate(_token));
        Assert.Single(await UsersAsync());
    }

    [Fact]
    public async Task CreateAsync_ConcurrentCallsWithValidToken_ExactlyOneOwner()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            Task.Run(() => Service.CreateAsync(Input(email: $"owner{i}@example.test"), SourceIp))));

        Assert.Equal(1, results.Count(r => r.Succeeded));
        Assert.All(results.Where(r => !r.Succeeded), r => Assert.Equal(FirstOwnerOutcome.AlreadyCompleted, r.Outcome));
        Assert.Single(await UsersAsync());
        Assert.Single(await AuditAsync("user.created"));
    }

    [Fact]
    public async Task CreateAsync_BadToken_NothingCreatedAndSetupFailedAudited()
    {
        var result = await Service.CreateAsync(Input(token: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), SourceIp);

        Assert.Equal(FirstOwnerOutcome.InvalidToken, result.Outcome);
        Assert.Equal([FirstOwnerService.InvalidTokenMessage], result.Errors);
        Assert.Empty(await UsersAsync());
        var failed = Assert.Single(await AuditAsync("setup.failed"));
        Assert.Equal(("denied", "anonymous", SourceIp), (failed.Outcome, failed.ActorType, failed.SourceIp));
        Assert.Empty(await AuditAsync("user.created"));
        Assert.True(_store.Get<SetupTokenService>().Validate(_token)); // the real token still works
    }

    [Fact]
    public async Task CreateAsync_OversizedToken_RefusedAsInvalidToken()
    {
        var result = await Service.CreateAsync(Input(token: new string('A', 10 * 1024)), SourceIp);

        Assert.Equal(FirstOwnerOutcome.InvalidToken, result.Outcome);
        Assert.Empty(await UsersAsync());
    }

    [Fact]
    public async Task CreateAsync_NoToken_AskedForItWithoutAudit()
    {
        var result = await Service.CreateAsync(Input(token: " "), SourceIp);

        Assert.Equal(FirstOwnerOutcome.Invalid, result.Outcome);
        Assert.Contains("Enter the setup token shown on the server console.", result.Errors);
        Assert.Empty(await AuditAsync("setup.failed"));
    }

    [Theory]
    [InlineData("short-pass", "short")]
    [InlineData("Password1234", "common")]
    [InlineData("owner@example.test", "email")]
    public async Task CreateAsync_WeakPassword_RefusedWithPolicySentence(string password, string reason)
    {
        var result = await Service.CreateAsync(Input(password: password), SourceIp);

        Assert.Equal(FirstOwnerOutcome.Invalid, result.Outcome);
        var expected = reason switch
        {
            "short" => PasswordPolicy.TooShortMessage,
            "common" => PasswordPolicy.CommonMessage,
            _ => PasswordPolicy.EmailMessage,
        };
        Assert.Equal([expected], result.Errors);
        Assert.Empty(await UsersAsync());
        Assert.True(_store.Get<SetupTokenService>().IsSetupPending); // a typo does not burn the token
    }

    [Fact]
    public async Task CreateAsync_NaughtyNamesAndEmails_ValidationMessagesNoException()
    {
        foreach (var naughty in BigListOfNaughtyStrings.Sample)
        {
            var asEmail = await Service.CreateAsync(Input(email: naughty), SourceIp);
            Assert.Equal(FirstOwnerOutcome.Invalid, asEmail.Outcome);
            Assert.NotEmpty(asEmail.Errors);

            var asName = await Service.CreateAsync(Input(displayName: naughty, email: naughty), SourceIp);
            Assert.Equal(FirstOwnerOutcome.Invalid, asName.Outcome);
        }

        foreach (var name in new[] { "Roses are \u001b[0;31mred\u001b[0m", "evil\u202Egnp.exe", "line\nbreak", new string('n', 257) })
        {
            var result = await Service.CreateAsync(Input(displayName: name), SourceIp);
            Assert.Equal(FirstOwnerOutcome.Invalid, result.Outcome);
        }

        Assert.Empty(await UsersAsync());

        // Unicode that is merely unusual is a fine name.
        var unicode = await Service.CreateAsync(Input(displayName: "表ポあA鷗ŒéＢ逍Üßªąñ丂㐀𠀀"), SourceIp);
        Assert.True(unicode.Succeeded);
    }

    [Fact]
    public async Task Validator_BadFields_OneClearMessagePerField()
    {
        var validator = _store.Get<FirstOwnerInputValidator>();

        var result = await validator.ValidateAsync(new FirstOwnerInput());

        Assert.Equal(
            ["SetupToken", "Email", "DisplayName", "Password"],
            result.Errors.Select(e => e.PropertyName));
        Assert.Equal("Enter a valid e-mail address, such as name@example.com.",
            (await validator.ValidateAsync(Input(email: "owner@@example.test"))).Errors.Single().ErrorMessage);
    }
}
