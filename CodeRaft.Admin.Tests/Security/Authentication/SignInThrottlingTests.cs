using System.Net;
using System.Text.RegularExpressions;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.Throttling;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRaft.Admin.Tests.Security.Authentication;

/// <summary>The two brakes on guessing, through the real endpoints: per source address and per account.</summary>
public sealed partial class SignInThrottlingTests : IDisposable
{
    private const string Email = "throttle@example.test";
    private const string Password = "the right passphrase here";

    private readonly AdminAppFactory _app = new();

    public void Dispose() => _app.Dispose();

    private WebApplicationFactory<Program> App(int postsPerMinute, int maxPasswordFailures) => _app.WithWebHostBuilder(b => b
        .UseSetting("Security:SignIn:PostsPerMinutePerAddress", postsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture))
        .UseSetting("Security:SignIn:MaxPasswordFailures", maxPasswordFailures.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public async Task SignInPost_OverThePerAddressLimit_429WithRetryAfterAndOneAuditEntryWithTheCount()
    {
        using var app = App(postsPerMinute: 3, maxPasswordFailures: 100);
        using var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var token = await AntiforgeryTokenAsync(client);

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? last = null;
        for (var i = 0; i < 6; i++)
        {
            last?.Dispose();
            last = await PostPasswordAsync(client, token, "nobody@example.test", "wrong");
            statuses.Add(last.StatusCode);
        }

        Assert.Equal([HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        Assert.True(int.Parse(Assert.Single(last!.Headers.GetValues("Retry-After")), System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Contains("Too many sign-in attempts", await last.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        last.Dispose();
        await app.Services.GetRequiredService<DenialAggregator>().FlushAsync(includeOpenWindow: true);
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<AdminDbContext>>().CreateDbContextAsync();
        var entry = await db.AuditEntries.SingleAsync(e => e.Action == "auth.rate_limited"); // one entry, however many refusals
        Assert.Equal(3, System.Text.Json.JsonDocument.Parse(entry.Details).RootElement.GetProperty("count").GetInt64());
        Assert.Equal("anonymous", entry.ActorType);
    }

    [Fact]
    public async Task SignInPost_TooManyWrongPasswords_LocksTheAccountEvenForTheRightPassword()
    {
        using var app = App(postsPerMinute: 1000, maxPasswordFailures: 3);
        using var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        await SeedUserAsync(app);
        var token = await AntiforgeryTokenAsync(client);

        for (var i = 0; i < 3; i++)
        {
            using var wrong = await PostPasswordAsync(client, token, Email, $"wrong guess {i}");
            Assert.Contains("error=credentials", wrong.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }

        using var right = await PostPasswordAsync(client, token, Email, Password);

        // The same answer as a wrong password (nothing to enumerate); the log tells the story.
        Assert.Contains("error=credentials", right.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Equal(3, await CountAuditAsync(app, "auth.signin_failed"));
        Assert.Equal(1, await CountAuditAsync(app, "auth.password_locked"));
        Assert.Equal(1, await CountAuditAsync(app, "auth.signin_locked"));
        Assert.Equal(0, await CountAuditAsync(app, "auth.password_verified"));
    }

    [Fact]
    public async Task SignInPost_RightPasswordBeforeTheLimit_ResetsTheFailureCount()
    {
        using var app = App(postsPerMinute: 1000, maxPasswordFailures: 3);
        using var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        await SeedUserAsync(app);

        foreach (var password in new[] { "wrong 1", "wrong 2", Password, "wrong 3", "wrong 4" })
        {
            // A fresh anonymous client each time: a successful sign-in would make the anonymous token stale.
            using var fresh = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
            using var response = await PostPasswordAsync(fresh, await AntiforgeryTokenAsync(fresh), Email, password);
        }

        Assert.Equal(0, await CountAuditAsync(app, "auth.password_locked"));
        Assert.Equal(1, await CountAuditAsync(app, "auth.password_verified"));
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<AdminDbContext>>().CreateDbContextAsync();
        Assert.NotNull(await db.Users.Where(u => u.Email == Email).Select(u => u.LastSignInAt).SingleAsync()); // the Users page shows it
    }

    [Fact]
    public async Task SignInPost_StaleAntiforgeryToken_400WithASentenceNot500()
    {
        using var app = App(postsPerMinute: 1000, maxPasswordFailures: 100);
        using var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        await SeedUserAsync(app);
        var token = await AntiforgeryTokenAsync(client);
        using var signedIn = await PostPasswordAsync(client, token, Email, Password); // the session cookie now names a user

        // The anonymous token of a form opened before signing in (another tab) no longer matches.
        using var stale = await PostPasswordAsync(client, token, Email, Password);

        Assert.Equal(HttpStatusCode.BadRequest, stale.StatusCode);
        Assert.Contains("may have expired", await stale.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static async Task<string> AntiforgeryTokenAsync(HttpClient client)
    {
        // Any static form page carries a token for the anonymous user; the code page does not redirect to /setup.
        var html = await client.GetStringAsync(new Uri("account/signin/code", UriKind.Relative));
        return WebUtility.HtmlDecode(TokenField().Match(html).Groups[1].Value);
    }

    private static Task<HttpResponseMessage> PostPasswordAsync(HttpClient client, string token, string email, string password) =>
        client.PostAsync(new Uri("account/signin/password", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["email"] = email,
            ["password"] = password,
        }));

    private static async Task SeedUserAsync(WebApplicationFactory<Program> app)
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<AdminDbContext>>().CreateDbContextAsync();
        var user = AdminUser.Create(Email, Email, "Throttle Test", AdminRole.Viewer, AdminUserStatus.Active, DateTime.UtcNow);
        user.PasswordHash = new PasswordHasher<AdminUser>().HashPassword(user, Password);
        db.Users.Add(user);
        await db.SaveChangesAsync();
    }

    private static async Task<int> CountAuditAsync(WebApplicationFactory<Program> app, string action)
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<AdminDbContext>>().CreateDbContextAsync();
        return await db.AuditEntries.CountAsync(e => e.Action == action);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();
}
