using System.Text.RegularExpressions;
using CodeRaft.Admin.Cli;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.Totp;
using CodeRaft.Admin.Tests.Features.Audit.Viewer;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Tests.Cli;

/// <summary><c>users invite|list|reset-mfa</c> of the real binary: output, exit codes, audit with actor cli, nothing changed on bad input.</summary>
public sealed partial class UsersCommandsTests : IDisposable
{
    private readonly TempDirectory _work = new();
    private readonly string _secret = TestSecrets.NewMasterSecret();

    public void Dispose() => _work.Dispose();

    private string DataDirectory => _work.Combine("data");

    private Task<AppProcess.Result> RunAsync(params string[] args) => RunInModeAsync("Local", args);

    private Task<AppProcess.Result> RunInModeAsync(string mode, params string[] args) => AppProcess.RunAsync(_work.Path, AppProcess.Environment(DataDirectory, _secret, extra: ("Authentication__Mode", mode)), args);

    private async Task<(List<AdminUser> Users, List<AuditEntry> UsersAudit)> StoreAsync()
    {
        await using var store = await TestStore.StartAsync(DataDirectory, _secret);
        await using var db = await store.Contexts.CreateDbContextAsync();
        return (await db.Users.AsNoTracking().ToListAsync(), await db.AuditEntries.AsNoTracking().Where(e => e.Category == "users").OrderBy(e => e.Sequence).ToListAsync());
    }

    [Fact]
    public async Task Invite_LocalMode_LinkAloneOnTheLastLineUserInvitedAuditedAsCli()
    {
        var result = await RunAsync("users", "invite", "--email", "Jane.Doe@example.test", "--role", "administrator", "--name", "Jane Doe");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.StandardError);
        var lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.StartsWith("Invited Jane.Doe@example.test as Administrator.", lines[0], StringComparison.Ordinal);
        Assert.Matches(LinkLine(), lines[^1]);
        var (users, audit) = await StoreAsync();
        var jane = Assert.Single(users);
        Assert.Equal(("Jane.Doe@example.test", "Jane Doe", AdminRole.Administrator, AdminUserStatus.Invited), (jane.Email, jane.DisplayName, jane.Role, jane.Status));
        var entry = Assert.Single(audit);
        Assert.Equal(("user.invited", "success", "cli", "cli", jane.Id.ToString()), (entry.Action, entry.Outcome, entry.ActorType, entry.ActorName, entry.TargetId));
        Assert.DoesNotContain(lines[^1].Split("token=")[1], entry.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invite_OidcMode_SaysTheyCanSignInNoLink()
    {
        var result = await RunInModeAsync("Oidc", "users", "invite", "--email", "upn.user@contoso.onmicrosoft.com", "--role", "Owner");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("Invited upn.user@contoso.onmicrosoft.com as Owner: they can now sign in with your organization's account using this address.", result.StandardOutput.Trim());
        Assert.Equal(AdminRole.Owner, Assert.Single((await StoreAsync()).Users).Role);
    }

    [Theory]
    [InlineData("not-an-address", "Enter a valid e-mail address or user principal name")]
    [InlineData("", "Enter the e-mail address or user principal name (UPN)")]
    public async Task Invite_BadAddress_ExitTwoOneSentenceNothingWritten(string email, string message)
    {
        var result = await RunAsync("users", "invite", "--email", email, "--role", "Viewer");

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith(message, Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.Equal("", result.StandardOutput);
        var (users, audit) = await StoreAsync();
        Assert.Empty(users);
        Assert.Empty(audit);
    }

    [Theory]
    [InlineData("Superuser")]
    [InlineData("0")]
    [InlineData("Owner,Viewer")]
    public async Task Invite_BadRole_ExitTwoNothingCreated(string role)
    {
        var result = await RunAsync("users", "invite", "--email", "jane@example.test", "--role", role);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("--role must be one of Owner, Administrator, Auditor, Viewer.", Assert.Single(result.ErrorLines));
        Assert.False(Directory.Exists(DataDirectory)); // refused before the store was even opened
    }

    [Fact]
    public async Task Invite_MissingRole_ExitTwoUsage()
    {
        var result = await RunAsync("users", "invite", "--email", "jane@example.test");

        Assert.Equal(2, result.ExitCode);
        Assert.EndsWith("Run with --help for usage.", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invite_ExistingAddress_ExitTwoNothingAdded()
    {
        Assert.Equal(0, (await RunAsync("users", "invite", "--email", "jane@example.test", "--role", "Viewer")).ExitCode);

        var again = await RunAsync("users", "invite", "--email", "JANE@example.test", "--role", "Owner");

        Assert.Equal(2, again.ExitCode);
        Assert.Equal(InviteUserInputValidator.DuplicateMessage, Assert.Single(again.ErrorLines));
        var (users, audit) = await StoreAsync();
        Assert.Equal(AdminRole.Viewer, Assert.Single(users).Role);
        Assert.Single(audit);
    }

    [Fact]
    public async Task List_Users_TableWithEveryColumn()
    {
        await SeedOwnerAsync("olivia@example.test", "Olivia \u001b[31mOwner");
        Assert.Equal(0, (await RunAsync("users", "invite", "--email", "jane@example.test", "--role", "Auditor", "--name", "Jane Doe")).ExitCode);

        var result = await RunAsync("users", "list");

        Assert.Equal(0, result.ExitCode);
        var lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        Assert.Equal(3, lines.Count);
        Assert.Matches("^EMAIL +NAME +ROLE +STATUS +MFA +LAST SIGN-IN$", lines[0]);
        Assert.Matches("^jane@example.test +Jane Doe +Auditor +Invited +no +never$", lines[1]);
        // A name with a terminal escape (as an identity provider might send one) is printed defused.
        Assert.Matches(@"^olivia@example.test +Olivia \?\[31mOwner +Owner +Active +yes +2026-11-29 09:00 UTC$", lines[2]);
        Assert.DoesNotContain('\u001b', result.StandardOutput);
    }

    [Fact]
    public async Task ResetMfa_EnrolledOwner_ResetAuditedAsCli()
    {
        var ownerId = await SeedOwnerAsync("olivia@example.test", "Olivia");

        var result = await RunAsync("users", "reset-mfa", "--email", "OLIVIA@example.test", "--reason", "lost phone, ticket 4711");

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("Reset two-factor authentication of OLIVIA@example.test", result.StandardOutput, StringComparison.Ordinal);
        var (users, audit) = await StoreAsync();
        Assert.Null(Assert.Single(users).TotpSecret);
        var entry = Assert.Single(audit);
        Assert.Equal(("user.mfa_reset", "success", "cli", ownerId.ToString()), (entry.Action, entry.Outcome, entry.ActorType, entry.TargetId));
        Assert.Contains("lost phone, ticket 4711", entry.Details, StringComparison.Ordinal);

        var again = await RunAsync("users", "reset-mfa", "--email", "olivia@example.test");
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("nothing was changed", again.StandardOutput, StringComparison.Ordinal);
        Assert.Single((await StoreAsync()).UsersAudit);
    }

    [Fact]
    public async Task ResetMfa_UnknownAddress_ExitTwoNothingChanged()
    {
        await SeedOwnerAsync("olivia@example.test", "Olivia");

        var result = await RunAsync("users", "reset-mfa", "--email", "nobody@example.test");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("No user has the e-mail address or user name nobody@example.test.", Assert.Single(result.ErrorLines));
        var (users, audit) = await StoreAsync();
        Assert.NotNull(Assert.Single(users).TotpSecret);
        Assert.Empty(audit);
    }

    private async Task<Guid> SeedOwnerAsync(string email, string name)
    {
        await using var store = await TestStore.StartAsync(DataDirectory, _secret);
        await using var db = await store.Contexts.CreateDbContextAsync();
        var owner = AdminUser.Create(email, email, name, AdminRole.Owner, AdminUserStatus.Active, new DateTime(2026, 11, 29, 9, 0, 0, DateTimeKind.Utc));
        owner.TotpSecret = Base32.Encode("12345678901234567890"u8);
        owner.TotpEnabledAt = owner.CreatedAt;
        owner.LastSignInAt = owner.CreatedAt;
        db.Users.Add(owner);
        await db.SaveChangesAsync();
        return owner.Id;
    }

    [GeneratedRegex("^/account/activate\\?token=[A-Za-z0-9_-]{43}$")]
    private static partial Regex LinkLine();
}

/// <summary>Every string of the Big List of Naughty Strings as CLI arguments, in-process against one store.</summary>
public sealed class UsersCommandsNaughtyStringsTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private TestStore _store = null!;

    public async Task InitializeAsync() => _store = await TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret());

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _data.Dispose();
    }

    /// <summary>Runs <c>users …</c> exactly as the binary would (parser, exit codes, error sentences), on the test's store.</summary>
    private async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var users = UsersCommands.Create(_ => Task.FromResult<(IServiceProvider, IAsyncDisposable)>((_store.Services, new NothingToDispose())));
        var code = await CliApp.RunAsync(["users", .. args], output, error, [users]);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Users_EveryNaughtyStringAsEveryArgument_ExitZeroOrTwoNeverAnException()
    {
        var strings = BigListOfNaughtyStrings.Load();
        var i = 0;
        foreach (var naughty in strings)
        {
            i++;
            var email = await RunAsync("invite", "--email", naughty, "--role", "Viewer");
            await AssertStoredExactlyOrRefusedAsync(email, naughty, u => u.Email);

            var name = await RunAsync("invite", "--email", $"naughty-{i}@example.test", "--role", "Viewer", "--name", naughty);
            await AssertStoredExactlyOrRefusedAsync(name, naughty, u => u.DisplayName);

            var role = await RunAsync("invite", "--email", $"role-{i}@example.test", "--role", naughty);
            Assert.True(role.ExitCode == 2 || Enum.GetNames<AdminRole>().Contains(naughty.Trim(), StringComparer.OrdinalIgnoreCase), naughty);

            var reset = await RunAsync("reset-mfa", "--email", naughty, "--reason", naughty);
            Assert.True(reset.ExitCode is 0 or 2, naughty);
        }

        var list = await RunAsync("list");
        Assert.Equal(0, list.ExitCode);
        Assert.DoesNotContain(list.Output, c => char.IsControl(c) && c is not ('\n' or '\r'));
    }

    private async Task AssertStoredExactlyOrRefusedAsync((int ExitCode, string Output, string Error) result, string naughty, Func<AdminUser, string?> stored)
    {
        if (result.ExitCode == 2)
        {
            Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            return;
        }

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode} for {naughty}: {result.Error}");
        await using var db = await _store.Contexts.CreateDbContextAsync();
        var link = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Trim().Split("token=")[1];
        var userId = await db.UserInvitations.Where(x => x.TokenHash == InvitationTokens.Hash(link)).Select(x => x.UserId).SingleAsync();
        var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == userId);
        Assert.Equal(naughty.Trim(), stored(user));
    }

    private sealed class NothingToDispose : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
