using Microsoft.Extensions.Configuration;
using System.Net;
using CodeRaft.Admin.Security.Authentication;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace CodeRaft.Admin.Tests.Security.Authentication;

/// <summary>The pieces of RP-initiated logout; the whole flow runs against a real provider in the E2E OIDC tests.</summary>
public sealed class OidcSignOutTests
{
    private const string EndSessionEndpoint = "https://idp.example.test/logout";
    private static readonly AuthenticationScheme Scheme = new(OidcAuthentication.Scheme, null, typeof(OpenIdConnectHandler));

    [Fact]
    public void KeepingIdToken_WithAToken_StoresTheIdTokenOnly()
    {
        var properties = OidcSignOut.KeepingIdToken("header.payload.signature");

        Assert.NotNull(properties);
        var token = Assert.Single(properties.GetTokens());
        Assert.Equal(("id_token", "header.payload.signature"), (token.Name, token.Value));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void KeepingIdToken_NoToken_NothingToKeep(string? idToken) =>
        Assert.Null(OidcSignOut.KeepingIdToken(idToken));

    [Fact]
    public void KeepingIdToken_FromThePreviousCookie_CarriesTheIdTokenOver()
    {
        var pending = OidcSignOut.KeepingIdToken("header.payload.signature");

        Assert.Equal("header.payload.signature", OidcSignOut.KeepingIdToken(pending)?.GetTokenValue("id_token"));
        Assert.Null(OidcSignOut.KeepingIdToken(new AuthenticationProperties())); // a Local sign-in: no provider token
        Assert.Null(OidcSignOut.KeepingIdToken((AuthenticationProperties?)null));
    }

    [Fact]
    public async Task ProviderCanEndSession_MetadataWithEndSessionEndpoint_True()
    {
        var http = Context(o => o.Configuration = new OpenIdConnectConfiguration { EndSessionEndpoint = EndSessionEndpoint });

        Assert.True(await OidcSignOut.ProviderCanEndSessionAsync(http));
    }

    [Fact]
    public async Task ProviderCanEndSession_MetadataWithoutEndSessionEndpoint_False()
    {
        var http = Context(o => o.Configuration = new OpenIdConnectConfiguration());

        Assert.False(await OidcSignOut.ProviderCanEndSessionAsync(http));
    }

    [Fact]
    public async Task ProviderCanEndSession_MetadataUnreachable_FalseInsteadOfFailingTheSignOut()
    {
        var http = Context(o => o.ConfigurationManager = new UnreachableMetadata());

        Assert.False(await OidcSignOut.ProviderCanEndSessionAsync(http));
    }

    [Fact]
    public async Task RedirectForSignOut_AnswersWithAPageMovingOnToTheEndSessionEndpoint_TargetProtectedInState()
    {
        var options = ConfiguredOptions();
        var http = Context();
        var properties = new AuthenticationProperties { RedirectUri = OidcSignOut.SignedOutPath };
        var context = new RedirectContext(http, Scheme, options, properties)
        {
            ProtocolMessage = new OpenIdConnectMessage
            {
                IssuerAddress = EndSessionEndpoint,
                PostLogoutRedirectUri = "https://portal.example.test/signout-callback-oidc",
                IdTokenHint = "header.payload.signature",
            },
        };

        await options.Events.RedirectToIdentityProviderForSignOut(context);

        Assert.True(context.Handled);
        Assert.Equal(StatusCodes.Status200OK, http.Response.StatusCode);
        Assert.True(string.IsNullOrEmpty(http.Response.Headers.Location), "a page, not a redirect (CSP form-action 'self')");
        var body = await ReadBodyAsync(http);
        var url = WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(body, "content=\"0;url=([^\"]+)\"").Groups[1].Value);
        Assert.StartsWith(EndSessionEndpoint + "?", url, StringComparison.Ordinal);
        var query = QueryHelpers.ParseQuery(new Uri(url).Query);
        Assert.Equal("header.payload.signature", query["id_token_hint"].ToString());
        Assert.Equal("https://portal.example.test/signout-callback-oidc", query["post_logout_redirect_uri"].ToString());
        Assert.Equal(OidcSignOut.SignedOutPath, options.StateDataFormat.Unprotect(query["state"])?.RedirectUri);
    }

    [Fact]
    public async Task SignedOutCallback_StateOfThisPortal_GoesToItsTarget()
    {
        var (options, http) = (ConfiguredOptions(), Context());
        var context = new RemoteSignOutContext(http, Scheme, options, new OpenIdConnectMessage())
        {
            Properties = new AuthenticationProperties { RedirectUri = OidcSignOut.SignedOutPath },
        };

        await options.Events.SignedOutCallbackRedirect(context);

        Assert.True(context.Result?.Handled);
        Assert.Equal(OidcSignOut.SignedOutPath, http.Response.Headers.Location.ToString());
    }

    [Theory]
    [InlineData(null, "/account/signin")]
    [InlineData("https://elsewhere.example.test/", "/")]
    [InlineData("//elsewhere.example.test/", "/")]
    public async Task SignedOutCallback_NoStateOrAForeignTarget_StaysOnThisSite(string? target, string expected)
    {
        var (options, http) = (ConfiguredOptions(), Context());
        var context = new RemoteSignOutContext(http, Scheme, options, new OpenIdConnectMessage())
        {
            Properties = target is null ? null : new AuthenticationProperties { RedirectUri = target },
        };

        await options.Events.SignedOutCallbackRedirect(context);

        Assert.True(context.Result?.Handled);
        Assert.Equal(expected, http.Response.Headers.Location.ToString());
    }

    [Theory]
    [InlineData("Oidc")]
    [InlineData("EntraId")]
    public void RemoteSignOutPath_EitherOidcMode_Disabled(string mode)
    {
        // /signout-oidc (front-channel logout) would clear the session cookie on any cross-site GET: logout CSRF.
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Authentication:Mode"] = mode,
            ["Oidc:Authority"] = "https://idp.example.test/",
            ["Oidc:ClientId"] = "coderaft-admin",
            ["AzureAd:Instance"] = "https://login.example.test/",
            ["AzureAd:TenantId"] = "00000000-0000-0000-0000-000000000001",
            ["AzureAd:ClientId"] = "coderaft-admin",
            ["AzureAd:ClientSecret"] = "not-a-real-secret",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<Microsoft.Extensions.Configuration.IConfiguration>(configuration);
        services.AddAdminAuthentication(configuration);
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<OpenIdConnectOptions>>().Get(OidcAuthentication.Scheme);

        Assert.False(options.RemoteSignOutPath.HasValue);
    }

    private static OpenIdConnectOptions ConfiguredOptions()
    {
        var options = new OpenIdConnectOptions
        {
            StateDataFormat = new PropertiesDataFormat(new EphemeralDataProtectionProvider().CreateProtector("oidc-state")),
        };
        OidcSignOut.Configure(options);
        Assert.Equal(CodeRaft.Admin.Security.Authentication.AuthenticationFeature.Scheme, options.SignOutScheme);
        return options;
    }

    private static DefaultHttpContext Context(Action<OpenIdConnectOptions>? configure = null)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddOptions<OpenIdConnectOptions>(OidcAuthentication.Scheme).Configure(o => configure?.Invoke(o));
        return new DefaultHttpContext { RequestServices = services.BuildServiceProvider(), Response = { Body = new MemoryStream() } };
    }

    private static async Task<string> ReadBodyAsync(HttpContext http)
    {
        http.Response.Body.Position = 0;
        using var reader = new StreamReader(http.Response.Body);
        return await reader.ReadToEndAsync();
    }

    private sealed class UnreachableMetadata : IConfigurationManager<OpenIdConnectConfiguration>
    {
        public Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel) =>
            throw new InvalidOperationException("IDX20803: Unable to obtain configuration from: 'https://idp.example.test/.well-known/openid-configuration'.");

        public void RequestRefresh()
        {
        }
    }
}
