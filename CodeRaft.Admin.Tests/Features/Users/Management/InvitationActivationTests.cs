using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.Authentication;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Tests.Features.Users.Management;

/// <summary>Local-mode activation links: single use, expiry, unknown links, the password policy.</summary>
public sealed class InvitationActivationTests : IAsyncLifetime
{
    private const string Password = "a long and uncommon passphrase";
    private readonly TempDirectory _data = new();
    private UsersWorld _world = null!;
    private UserOperator _owner = null!;

    private InvitationActivationService Activation => _world.Activation;

    public async Task InitializeAsync()
    {
        _world = await UsersWorld.StartAsync(_data.Path, TestSecrets.NewMasterSecret());
        _owner = UserOperator.ConsoleUser(await _world.SeedAsync(AdminRole.Owner));
    }

    public async Task DisposeAsync()
    {
        await _world.DisposeAsync();
        _data.Dispose();
    }

    private async Task<(Guid UserId, string Token)> InviteAsync(string email = "jane@example.test")
    {
        var result = await _world.Core.InviteAsync(_owner, new InviteUserInput { Email = email, Role = AdminRole.Auditor });
        Assert.True(result.Succeeded, result.Message);
        return (result.UserId!.Value, result.ActivationLink!.Split("token=")[1]);
    }

    [Fact]
    public async Task ActivateAsync_ValidLinkAndPassword_ActiveWithPasswordLinkUsedAudited()
    {
        var (userId, token) = await InviteAsync();

        var check = await Activation.CheckAsync(token);
        var result = await Activation.ActivateAsync(token, Password, Password, "203.0.113.9");

        Assert.Equal((ActivationOutcome.Ready, "jane@example.test"), (check.Outcome, check.Email));
        Assert.Equal(ActivationOutcome.Activated, result.Outcome);
        Assert.Equal(userId, result.UserId);
        var user = (await _world.UserAsync(userId))!;
        Assert.Equal(AdminUserStatus.Active, user.Status);
        Assert.Equal(PasswordVerificationResult.Success, new PasswordHasher<AdminUser>().VerifyHashedPassword(user, user.PasswordHash!, Password));
        Assert.Null(user.TotpSecret); // TOTP enrollment comes next
        await using var db = await _world.Store.Contexts.CreateDbContextAsync();
        Assert.Equal(_world.Time.GetUtcNow().UtcDateTime, (await db.UserInvitations.SingleAsync(i => i.UserId == userId)).UsedAt);
        var entry = (await _world.UsersAuditAsync()).Last();
        Assert.Equal(("user.activated", "success", "user", userId.ToString(), "203.0.113.9"), (entry.Action, entry.Outcome, entry.ActorType, entry.ActorId, entry.SourceIp));
        Assert.DoesNotContain(Password, entry.Details, StringComparison.Ordinal);
        Assert.DoesNotContain(token, entry.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ActivateAsync_SameLinkTwice_SecondRefusedPasswordUnchanged()
    {
        var (userId, token) = await InviteAsync();
        await Activation.ActivateAsync(token, Password, Password, "");
        var hash = (await _world.UserAsync(userId))!.PasswordHash;

        var again = await Activation.ActivateAsync(token, "another long passphrase!", "another long passphrase!", "");

        Assert.Equal((ActivationOutcome.UsedLink, InvitationActivationService.UsedMessage), (again.Outcome, again.Message));
        Assert.Equal(hash, (await _world.UserAsync(userId))!.PasswordHash);
        var entry = (await _world.UsersAuditAsync()).Last();
        Assert.Equal(("user.activation_failed", "denied", "anonymous", userId.ToString()), (entry.Action, entry.Outcome, entry.ActorType, entry.TargetId));
    }

    [Fact]
    public async Task ActivateAsync_ConcurrentSubmissions_ExactlyOneActivates()
    {
        var (_, token) = await InviteAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Task.Run(() => Activation.ActivateAsync(token, Password + i, Password + i, ""))));

        Assert.Single(results, r => r.Succeeded);
        Assert.All(results.Where(r => !r.Succeeded), r => Assert.Equal(ActivationOutcome.UsedLink, r.Outcome));
    }

    [Fact]
    public async Task ActivateAsync_AfterSevenDays_ExpiredStillInvited()
    {
        var (userId, token) = await InviteAsync();
        _world.Time.Advance(TimeSpan.FromDays(7) - TimeSpan.FromSeconds(1));
        Assert.Equal(ActivationOutcome.Ready, (await Activation.CheckAsync(token)).Outcome);
        _world.Time.Advance(TimeSpan.FromSeconds(1));

        var result = await Activation.ActivateAsync(token, Password, Password, "");

        Assert.Equal((ActivationOutcome.ExpiredLink, InvitationActivationService.ExpiredMessage), (result.Outcome, result.Message));
        Assert.Equal(AdminUserStatus.Invited, (await _world.UserAsync(userId))!.Status);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("short")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // well-formed, never issued
    [InlineData("%00%00%00%00%00%00%00%00%00%00%00%00%00%00%0")]
    public async Task ActivateAsync_UnknownLink_RefusedAndAudited(string? token)
    {
        await InviteAsync();

        var result = await Activation.ActivateAsync(token, Password, Password, "");

        Assert.Equal((ActivationOutcome.UnknownLink, InvitationActivationService.UnknownMessage), (result.Outcome, result.Message));
        Assert.Equal(("user.activation_failed", "denied"), ((await _world.UsersAuditAsync()).Last().Action, (await _world.UsersAuditAsync()).Last().Outcome));
    }

    [Fact]
    public async Task ActivateAsync_LinkOfAnotherInvitee_OnlyThatInviteeActivated()
    {
        var (jane, _) = await InviteAsync("jane@example.test");
        var (joe, joeToken) = await InviteAsync("joe@example.test");

        var result = await Activation.ActivateAsync(joeToken, Password, Password, "");

        Assert.Equal(joe, result.UserId);
        Assert.Equal(AdminUserStatus.Invited, (await _world.UserAsync(jane))!.Status);
    }

    [Theory]
    [InlineData("short", "short", PasswordPolicyMessage.TooShort)]
    [InlineData("qwertyuiop123", "qwertyuiop123", PasswordPolicyMessage.Common)]
    [InlineData("jane@example.test", "jane@example.test", PasswordPolicyMessage.Email)]
    [InlineData(Password, Password + "x", PasswordPolicyMessage.Mismatch)]
    public async Task ActivateAsync_PasswordRefused_LinkStillWorks(string password, string confirmation, PasswordPolicyMessage expected)
    {
        var (userId, token) = await InviteAsync();

        var result = await Activation.ActivateAsync(token, password, confirmation, "");

        Assert.Equal(ActivationOutcome.InvalidPassword, result.Outcome);
        Assert.True(result.LinkUsable);
        Assert.Contains(expected switch
        {
            PasswordPolicyMessage.TooShort => PasswordPolicy.TooShortMessage,
            PasswordPolicyMessage.Common => PasswordPolicy.CommonMessage,
            PasswordPolicyMessage.Email => PasswordPolicy.EmailMessage,
            _ => InvitationActivationService.MismatchMessage,
        }, result.Errors);
        Assert.Equal(AdminUserStatus.Invited, (await _world.UserAsync(userId))!.Status);
        Assert.True((await Activation.ActivateAsync(token, Password, Password, "")).Succeeded);
    }

    public enum PasswordPolicyMessage
    {
        TooShort,
        Common,
        Email,
        Mismatch,
    }

    [Fact]
    public async Task ActivateAsync_InviteeDisabledMeanwhile_NotAvailable()
    {
        var (userId, token) = await InviteAsync();
        await _world.Core.DisableAsync(_owner, userId);

        var result = await Activation.ActivateAsync(token, Password, Password, "");

        Assert.Equal(ActivationOutcome.NotAvailable, result.Outcome);
        Assert.Equal(AdminUserStatus.Disabled, (await _world.UserAsync(userId))!.Status);
    }

    [Fact]
    public async Task ActivateAsync_InviteeRemovedMeanwhile_Unknown()
    {
        var (userId, token) = await InviteAsync();
        await _world.Core.RemoveAsync(_owner, userId);

        var result = await Activation.ActivateAsync(token, Password, Password, "");

        Assert.Equal(ActivationOutcome.UnknownLink, result.Outcome);
    }

    [Fact]
    public async Task CheckAsync_OidcMode_NotAvailable()
    {
        await using var oidc = await UsersWorld.StartAsync(_data.Combine("oidc"), TestSecrets.NewMasterSecret(), mode: "Oidc");

        var result = await oidc.Activation.CheckAsync(InvitationTokens.Create().Token);

        Assert.Equal((ActivationOutcome.NotAvailable, InvitationActivationService.ExternalMessage), (result.Outcome, result.Message));
    }

    [Fact]
    public void MessagesFor_UnknownOrInjectedCodes_OnlyOwnSentences()
    {
        Assert.Equal([PasswordPolicy.TooShortMessage, PasswordPolicy.CommonMessage], InvitationActivationService.MessagesFor("short,common,short"));
        Assert.Empty(InvitationActivationService.MessagesFor("Your account is locked, call +1 555 0100"));
        Assert.Empty(InvitationActivationService.MessagesFor(null));
        Assert.Equal("short,mismatch", InvitationActivationService.ErrorCodes([PasswordPolicy.TooShortMessage, InvitationActivationService.MismatchMessage]));
    }

    [Fact]
    public void Create_Tokens_43Base64UrlCharactersHashIsSha256Hex()
    {
        var (token, hash) = InvitationTokens.Create();

        Assert.Matches("^[A-Za-z0-9_-]{43}$", token);
        Assert.Matches("^[0-9a-f]{64}$", hash);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(token))), hash);
        Assert.NotEqual(token, InvitationTokens.Create().Token);
    }
}
