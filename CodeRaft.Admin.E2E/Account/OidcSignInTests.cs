using System.Text.RegularExpressions;
using CodeRaft.Admin.E2E.Fixtures;
using CodeRaft.Admin.E2E.Pages;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;
using TestIdentityProviderEventKinds = CodeRaft.Admin.TestIdentityProvider.TestIdentityProviderEventKinds;
using Idp = CodeRaft.Admin.TestIdentityProvider.TestIdentityProvider;
using IdpUser = CodeRaft.Admin.TestIdentityProvider.TestUser;

namespace CodeRaft.Admin.E2E.Account;

/// <summary>
/// A portal in an OIDC mode, with the in-process test provider started first (the portal's configuration needs its
/// address), and the portal registered as the provider's client once its own address is known.
/// </summary>
public abstract class ExternalAdminAppFixture : AdminAppFixture, IAsyncLifetime
{
    public const string ClientId = "coderaft-admin";
    public const string ClientSecret = "e2e-client-secret";

    /// <summary>Invited at start-up through Bootstrap:OwnerEmail: no external identity, no TOTP yet.</summary>
    public static readonly IdpUser Invited = new("olivia", "Olivia Owner", "olivia@coderaft.test");

    /// <summary>A user the portal knows (bound to this provider, TOTP enrolled).</summary>
    public static readonly IdpUser Known = new("kim", "Kim Known", "kim@coderaft.test") { ObjectId = "2f0f5c7e-0c47-4a3a-9d1e-7a1b6c7d8e9f" };

    /// <summary>An identity the provider signs in but the portal has never heard of.</summary>
    public static readonly IdpUser Stranger = new("mallory", "Mallory Stranger", "mallory@elsewhere.test");

    public Idp Provider { get; private set; } = null!;

    public string KnownTotpKey { get; } = CodeRaft.Admin.Security.Totp.Base32.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));

    protected abstract Task<Idp> StartProviderAsync();

    /// <summary>The external subject the portal binds: "sub", or Entra's "oid".</summary>
    protected abstract string SubjectOf(IdpUser user);

    async Task IAsyncLifetime.InitializeAsync()
    {
        Provider = await StartProviderAsync();
        await InitializeAsync();
        await Provider.RegisterClientAsync(ClientId, ClientSecret, BaseAddress);
        await SeedExternalUserAsync(Known, KnownTotpKey, AdminRole.Administrator);
    }

    public async Task SeedExternalUserAsync(IdpUser user, string? totpKey, AdminRole role)
    {
        var contexts = Services.GetRequiredService<IDbContextFactory<AdminDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        db.Users.Add(new AdminUser
        {
            Id = Guid.NewGuid(),
            UserName = user.Email,
            NormalizedUserName = user.Email.ToUpperInvariant(),
            Email = user.Email,
            NormalizedEmail = user.Email.ToUpperInvariant(),
            DisplayName = user.Name,
            Role = role,
            Status = AdminUserStatus.Active,
            SecurityStamp = Guid.NewGuid().ToString(),
            CreatedAt = DateTime.UtcNow,
            ExternalIssuer = Provider.Issuer,
            ExternalSubject = SubjectOf(user),
            TotpSecret = totpKey,
            TotpEnabledAt = totpKey is null ? null : DateTime.UtcNow,
        });
        await db.SaveChangesAsync();
    }

    /// <summary>
    /// A user of its own (bound to this provider), for a test that signs in with TOTP: a code is accepted once per
    /// user and step, so two tests signing in as the same user within 30 s would refuse each other's code.
    /// </summary>
    /// <returns>The user and its TOTP key; no key when <paramref name="enrolled"/> is false (enrollment comes first).</returns>
    public async Task<(IdpUser User, string? TotpKey)> AddExternalUserAsync(string name, bool enrolled = true)
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var user = new IdpUser($"{name}-{id}", $"{name} {id}", $"{name}-{id}@coderaft.test") { ObjectId = Guid.NewGuid().ToString() };
        var totpKey = enrolled ? CodeRaft.Admin.Security.Totp.Base32.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20)) : null;
        Provider.AddUser(user);
        await SeedExternalUserAsync(user, totpKey, AdminRole.Viewer);
        return (user, totpKey);
    }

    public async Task<AdminUser?> FindUserAsync(string email)
    {
        var contexts = Services.GetRequiredService<IDbContextFactory<AdminDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        var normalized = email.ToUpperInvariant();
        return await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.NormalizedEmail == normalized);
    }

    public async Task<List<CodeRaft.Admin.Features.Audit.AuditEntry>> AuditAsync(string action)
    {
        var contexts = Services.GetRequiredService<IDbContextFactory<AdminDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        return await db.AuditEntries.AsNoTracking().Where(e => e.Action == action).ToListAsync();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Bootstrap:OwnerEmail", Invited.Email);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && Provider is not null)
        {
            Provider.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}

/// <summary>Mode=Oidc: plain AddOpenIdConnect against the generic-shaped provider (HTTP on 127.0.0.1).</summary>
public sealed class OidcAdminAppFixture : ExternalAdminAppFixture
{
    protected override Task<Idp> StartProviderAsync() => Idp.StartGenericAsync(Invited, Known, Stranger);

    protected override string SubjectOf(IdpUser user) => user.Subject;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Authentication:Mode", "Oidc");
        builder.UseSetting("Oidc:Authority", Provider.Authority);
        builder.UseSetting("Oidc:ClientId", ClientId);
        builder.UseSetting("Oidc:ClientSecret", ClientSecret);
        builder.UseSetting("Oidc:RequireHttpsMetadata", "false"); // the loopback test provider only
        builder.ConfigureTestServices(services => services.Configure<OpenIdConnectOptions>(OidcAuthentication.Scheme,
            o => o.BackchannelHttpHandler = Provider.CreateTrustingHandler()));
    }
}

/// <summary>Mode=EntraId: Microsoft.Identity.Web against the Entra-shaped provider (HTTPS, self-signed, tid).</summary>
public sealed class EntraAdminAppFixture : ExternalAdminAppFixture
{
    protected override Task<Idp> StartProviderAsync() => Idp.StartEntraAsync(Invited, Known, Stranger);

    protected override string SubjectOf(IdpUser user) => user.ObjectId ?? user.Subject;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Authentication:Mode", "EntraId");
        foreach (var (key, value) in Provider.AzureAdSettings(ClientId, ClientSecret))
        {
            builder.UseSetting(key, value);
        }

        // As the provider's readme says: trust its certificate only, and give the issuer (no second discovery).
        builder.ConfigureTestServices(services => services.Configure<OpenIdConnectOptions>(OidcAuthentication.Scheme, o =>
        {
            o.BackchannelHttpHandler = Provider.CreateTrustingHandler();
            o.TokenValidationParameters.ValidIssuer = Provider.Issuer;
        }));
    }
}

/// <summary>Chromium for the Entra-shaped provider: its self-signed certificate needs --ignore-certificate-errors.</summary>
public sealed class TlsTolerantBrowserFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        Assertions.SetDefaultExpectTimeout(BrowserFixture.ExpectTimeoutMs);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = BrowserFixture.ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic", "--ignore-certificate-errors"],
        });
    }

    public async Task<BrowserSession> NewSessionAsync(Uri baseAddress)
    {
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseAddress.ToString(), IgnoreHTTPSErrors = true });
        context.SetDefaultTimeout(BrowserFixture.ExpectTimeoutMs);
        return new BrowserSession(context, await context.NewPageAsync());
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}

// Not in parallel with the other browser collections: one more portal and browser would slow their circuits.
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OidcCollection : ICollectionFixture<OidcAdminAppFixture>, ICollectionFixture<BrowserFixture>
{
    public const string Name = "E2E oidc";
}

// Not in parallel with the other browser collections: one more portal and browser would slow their circuits.
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EntraCollection : ICollectionFixture<EntraAdminAppFixture>, ICollectionFixture<TlsTolerantBrowserFixture>
{
    public const string Name = "E2E entra";
}

internal static class ExternalSignIn
{
    /// <summary>
    /// Signs out in the portal and checks the whole way: back on the sign-in page with the notice, the provider ended
    /// this browser's session on a valid id_token_hint issued to the portal, no session left on either side (the next
    /// sign-in shows the provider's login page again).
    /// </summary>
    /// <remarks>The caller has signed <paramref name="user"/> in up to the dashboard.</remarks>
    public static async Task SignOutEndsBothSessionsAsync(ExternalAdminAppFixture app, BrowserSession session, IdpUser user)
    {
        var page = session.Page;
        var before = app.Provider.Events.Count;

        await new ShellPage(page).SignOutAsync();

        var signIn = new SignInPage(page);
        await Expect(page).ToHaveURLAsync(new Regex("/account/signin\\?signedout=1$"));
        await Expect(signIn.SignedOutNotice).ToHaveTextAsync("You are signed out.");
        var ended = Assert.Single(app.Provider.Events.Skip(before), e => e.Kind == TestIdentityProviderEventKinds.EndSession);
        Assert.Equal(user.Subject, ended.Subject);
        Assert.Equal(user.Subject, ended.IdTokenHintSubject);
        Assert.Equal(ExternalAdminAppFixture.ClientId, ended.IdTokenHintAudience);
        // Nothing refused on the way (a 302 to the provider after the form post would be a CSP form-action violation).
        Assert.Empty(session.ConsoleErrors);
        Assert.Empty(session.FailedResponses());

        await page.GotoAsync("");
        await Expect(page).ToHaveURLAsync(new Regex("/account/signin\\?ReturnUrl="));
        await signIn.SignInWithOrganizationAsync();
        await Expect(new ProviderLoginPage(page).UserButton(user.Subject)).ToBeVisibleAsync();
        Assert.Contains(app.Provider.Events.Skip(before), e => e.Kind == TestIdentityProviderEventKinds.LoginPage);
    }

    /// <summary>Sign-in page → "Sign in with your organization" → the provider's page → the user's button.</summary>
    public static async Task ThroughProviderAsync(IPage page, IdpUser user)
    {
        await page.GotoAsync("account/signin");
        await Expect(page.Locator("#password")).ToHaveCountAsync(0);
        await page.Locator("#signin-external").ClickAsync();
        try
        {
            await page.GetByTestId(Idp.UserButtonTestId(user.Subject)).ClickAsync();
        }
        catch (TimeoutException ex)
        {
            var body = System.Text.RegularExpressions.Regex.Replace(await page.ContentAsync(), "<head>.*?</head>", "", System.Text.RegularExpressions.RegexOptions.Singleline);
            throw new TimeoutException($"No provider page at {page.Url}: {body[..Math.Min(body.Length, 3000)]}", ex);
        }
    }

    public static async Task CodeToDashboardAsync(IPage page, string totpKey)
    {
        await Expect(page).ToHaveURLAsync(new Regex("/account/signin/code"));
        await new SignInPage(page).SubmitCodeAsync(SignInPage.CurrentCode(totpKey));
        await Expect(page.Locator("h1")).ToHaveTextAsync("Dashboard");
    }
}

/// <summary>Authentication:Mode=Oidc in a real browser, against a real OpenID Connect provider (code flow + PKCE).</summary>
[Collection(OidcCollection.Name)]
public sealed class OidcSignInTests(OidcAdminAppFixture app, BrowserFixture browser)
{
    [Fact]
    public async Task InvitedUser_SignsInThroughProvider_LandsOnEnrollmentWithFirstFactorOnly()
    {
        await using var session = await browser.NewSessionAsync(app.BaseAddress);
        var page = session.Page;

        await ExternalSignIn.ThroughProviderAsync(page, ExternalAdminAppFixture.Invited);

        await Expect(page).ToHaveURLAsync(new Regex("/account$"));
        await Expect(page.Locator("#totp-key")).ToBeVisibleAsync();
        // First factor only: the console stays closed until TOTP is enrolled.
        await page.GotoAsync("audit");
        await Expect(page).Not.ToHaveURLAsync(new Regex("/audit$"));
        var owner = await app.FindUserAsync(ExternalAdminAppFixture.Invited.Email);
        Assert.NotNull(owner);
        Assert.Equal(AdminRole.Owner, owner.Role);
        Assert.Equal(AdminUserStatus.Active, owner.Status);
        Assert.Equal(app.Provider.Issuer, owner.ExternalIssuer);
        Assert.Equal(ExternalAdminAppFixture.Invited.Subject, owner.ExternalSubject);
        Assert.Contains(await app.AuditAsync("user.invited"), e => e.ActorType == "system" && e.Details.Contains(ExternalAdminAppFixture.Invited.Email, StringComparison.Ordinal));
    }

    [Fact]
    public async Task KnownEnrolledUser_SignsInThroughProvider_ThenTotpCode_ReachesDashboard()
    {
        await using var session = await browser.NewSessionAsync(app.BaseAddress);

        await ExternalSignIn.ThroughProviderAsync(session.Page, ExternalAdminAppFixture.Known);

        await ExternalSignIn.CodeToDashboardAsync(session.Page, app.KnownTotpKey);
        Assert.Contains(app.Provider.Events, e => e.Kind == CodeRaft.Admin.TestIdentityProvider.TestIdentityProviderEventKinds.Token
            && e.Subject == ExternalAdminAppFixture.Known.Subject);
    }

    [Fact]
    public async Task UnknownIdentity_IsRefusedWithAClearPage_AndAudited()
    {
        await using var session = await browser.NewSessionAsync(app.BaseAddress);

        await ExternalSignIn.ThroughProviderAsync(session.Page, ExternalAdminAppFixture.Stranger);

        await Expect(session.Page).ToHaveURLAsync(new Regex("/account/signin/refused$"));
        await Expect(session.Page.Locator("#signin-refused")).ToHaveTextAsync("Access not granted");
        var refused = await app.AuditAsync("auth.signin_refused");
        Assert.Contains(refused, e => e.Outcome == "denied"
            && e.Details.Contains(ExternalAdminAppFixture.Stranger.Subject, StringComparison.Ordinal)
            && e.Details.Contains(app.Provider.Issuer, StringComparison.Ordinal));
        Assert.Null(await app.FindUserAsync(ExternalAdminAppFixture.Stranger.Email));
        await session.Page.GotoAsync("");
        await Expect(session.Page).ToHaveURLAsync(new Regex("/account/signin\\?ReturnUrl="));
    }

    [Fact]
    public async Task SignOut_AfterProviderAndTotp_EndsTheProviderSessionWithIdTokenHint_NextSignInShowsProviderPage()
    {
        var (user, totpKey) = await app.AddExternalUserAsync("sam");
        await using var session = await browser.NewSessionAsync(app.BaseAddress);
        await ExternalSignIn.ThroughProviderAsync(session.Page, user);
        await ExternalSignIn.CodeToDashboardAsync(session.Page, totpKey!);

        await ExternalSignIn.SignOutEndsBothSessionsAsync(app, session, user);
    }

    [Fact]
    public async Task SignOut_AfterFirstSignInWithEnrollment_StillSendsTheIdTokenHint()
    {
        // The other road to a full session: first factor only, TOTP enrollment, then /account/session/refresh.
        var (user, _) = await app.AddExternalUserAsync("nina", enrolled: false);
        await using var session = await browser.NewSessionAsync(app.BaseAddress);
        await ExternalSignIn.ThroughProviderAsync(session.Page, user);
        await Expect(session.Page).ToHaveURLAsync(new Regex("/account$"));
        var account = new AccountPage(session.Page);
        await account.EnrollTotpAsync();
        await account.ContinueAsync();
        await Expect(session.Page.Locator("h1")).ToHaveTextAsync("Dashboard");

        await ExternalSignIn.SignOutEndsBothSessionsAsync(app, session, user);
    }
}

/// <summary>Authentication:Mode=EntraId: Microsoft.Identity.Web against the Entra-shaped provider.</summary>
[Collection(EntraCollection.Name)]
public sealed class EntraSignInTests(EntraAdminAppFixture app, TlsTolerantBrowserFixture browser)
{
    [Fact]
    public async Task KnownEnrolledUser_SignsInThroughMicrosoftIdentityWeb_ThenTotpCode_ReachesDashboard()
    {
        await using var session = await browser.NewSessionAsync(app.BaseAddress);

        await ExternalSignIn.ThroughProviderAsync(session.Page, ExternalAdminAppFixture.Known);

        await ExternalSignIn.CodeToDashboardAsync(session.Page, app.KnownTotpKey);
        Assert.Contains(app.Provider.Events, e => e.Kind == CodeRaft.Admin.TestIdentityProvider.TestIdentityProviderEventKinds.Token);
    }

    [Fact]
    public async Task SignOut_ThroughMicrosoftIdentityWeb_EndsTheProviderSessionWithIdTokenHint_NextSignInShowsProviderPage()
    {
        var (user, totpKey) = await app.AddExternalUserAsync("erin");
        await using var session = await browser.NewSessionAsync(app.BaseAddress);
        await ExternalSignIn.ThroughProviderAsync(session.Page, user);
        await ExternalSignIn.CodeToDashboardAsync(session.Page, totpKey!);

        await ExternalSignIn.SignOutEndsBothSessionsAsync(app, session, user);
    }
}
