using System.Collections.Concurrent;
using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Identity.Web;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace CodeRaft.Admin.TestIdentityProvider.Tests;

/// <summary>
/// The smallest web app that signs in the way the portal will: <c>/protected</c> needs a signed-in user and lists
/// their claims, <c>/signout</c> signs out of the app and of the provider (end-session), <c>/signed-out</c> is public.
/// </summary>
public sealed class RelyingParty : IAsyncDisposable
{
    public const string ClientId = "coderaft-admin";
    public const string ClientSecret = "test-client-secret";
    public const string BackchannelClientName = "TestIdentityProvider";

    private readonly WebApplication _app;

    private RelyingParty(WebApplication app, Uri baseAddress, ConcurrentQueue<JsonWebToken> idTokens)
    {
        _app = app;
        BaseAddress = baseAddress;
        IdTokens = idTokens;
    }

    public Uri BaseAddress { get; }

    /// <summary>Every ID token the app accepted, as it arrived (the principal drops <c>ver</c>, <c>iss</c>, <c>aud</c>...).</summary>
    public ConcurrentQueue<JsonWebToken> IdTokens { get; }

    public Uri Url(string path) => new(BaseAddress, path);

    /// <summary>Plain <c>AddOpenIdConnect</c>, the portal's <c>Oidc</c> mode.</summary>
    public static Task<RelyingParty> StartWithOpenIdConnectAsync(TestIdentityProvider provider)
    {
        var idTokens = new ConcurrentQueue<JsonWebToken>();
        return StartAsync(provider, idTokens, builder =>
        {
            builder.Services
                .AddAuthentication(options =>
                {
                    options.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                    options.DefaultChallengeScheme = OpenIdConnectDefaults.AuthenticationScheme;
                })
                .AddCookie(cookie => cookie.Cookie.Name = "rp.session")
                .AddOpenIdConnect(oidc =>
                {
                    oidc.Authority = provider.Authority;
                    oidc.RequireHttpsMetadata = false; // plain HTTP on loopback, generic shape only
                    oidc.BackchannelHttpHandler = provider.CreateTrustingHandler();
                    oidc.ClientId = ClientId;
                    oidc.ClientSecret = ClientSecret;
                    oidc.ResponseType = OpenIdConnectResponseType.Code;
                    oidc.UsePkce = true;
                    oidc.SaveTokens = false;
                    oidc.MapInboundClaims = false;
                    oidc.GetClaimsFromUserInfoEndpoint = true;
                    oidc.Scope.Add("email");
                    oidc.TokenValidationParameters.NameClaimType = "name";
                    oidc.TokenValidationParameters.RoleClaimType = "roles";
                    oidc.Events.OnTokenValidated = context => CaptureIdToken(context, idTokens);
                });
        });
    }

    /// <summary>
    /// Microsoft.Identity.Web's <c>AddMicrosoftIdentityWebApp</c> on the <c>AzureAd</c> section, the portal's <c>EntraId</c>
    /// mode: first what the portal itself configures, then what only a test adds (as the E2E fixture's
    /// <c>ConfigureTestServices</c> would).
    /// </summary>
    public static Task<RelyingParty> StartWithMicrosoftIdentityWebAsync(TestIdentityProvider provider, EntraIssuerTrust issuerTrust)
    {
        var idTokens = new ConcurrentQueue<JsonWebToken>();
        return StartAsync(provider, idTokens, builder =>
        {
            builder.Configuration.AddInMemoryCollection(provider.AzureAdSettings(ClientId, ClientSecret));

            // The portal's own EntraId configuration.
            builder.Services
                .AddAuthentication(OpenIdConnectDefaults.AuthenticationScheme)
                .AddMicrosoftIdentityWebApp(builder.Configuration.GetSection("AzureAd"));
            builder.Services.Configure<MicrosoftIdentityOptions>(OpenIdConnectDefaults.AuthenticationScheme, options =>
            {
                options.ResponseType = OpenIdConnectResponseType.Code; // Microsoft.Identity.Web's default is id_token
                options.UsePkce = true;
                options.SaveTokens = false;
                options.MapInboundClaims = false;
                options.TokenValidationParameters.RoleClaimType = "roles";
            });

            // Test only: trust the provider's self-signed certificate, registered after the portal's configuration.
            builder.Services.Configure<OpenIdConnectOptions>(OpenIdConnectDefaults.AuthenticationScheme, options =>
            {
                options.BackchannelHttpHandler = provider.CreateTrustingHandler();
                if (issuerTrust == EntraIssuerTrust.ValidIssuer)
                {
                    options.TokenValidationParameters.ValidIssuer = provider.Issuer;
                }

                Func<Microsoft.AspNetCore.Authentication.OpenIdConnect.TokenValidatedContext, Task> next = options.Events.OnTokenValidated;
                options.Events.OnTokenValidated = async context =>
                {
                    await CaptureIdToken(context, idTokens);
                    await next(context);
                };
            });

            if (issuerTrust == EntraIssuerTrust.PinnedHttpClient)
            {
                builder.Services.Configure<AadIssuerValidatorOptions>(options => options.HttpClientName = BackchannelClientName);
                builder.Services.AddHttpClient(BackchannelClientName).ConfigurePrimaryHttpMessageHandler(provider.CreateTrustingHandler);
            }
        });
    }

    private static Task CaptureIdToken(Microsoft.AspNetCore.Authentication.OpenIdConnect.TokenValidatedContext context, ConcurrentQueue<JsonWebToken> idTokens)
    {
        string? idToken = context.TokenEndpointResponse?.IdToken ?? context.ProtocolMessage.IdToken;
        if (idToken is not null)
        {
            idTokens.Enqueue(new JsonWebToken(idToken));
        }

        return Task.CompletedTask;
    }

    private static async Task<RelyingParty> StartAsync(
        TestIdentityProvider provider, ConcurrentQueue<JsonWebToken> idTokens, Action<WebApplicationBuilder> configureAuthentication)
    {
        ArgumentNullException.ThrowIfNull(provider);
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(RelyingParty).Assembly.GetName().Name,
            EnvironmentName = Environments.Development,
        });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Services.AddRouting();
        builder.Services.AddAuthorization();
        builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
        configureAuthentication(builder);

        WebApplication app = builder.Build();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/protected", (ClaimsPrincipal user) => Html(ClaimsPage(user))).RequireAuthorization();
        app.MapGet("/signout", () => Results.SignOut(
            new AuthenticationProperties { RedirectUri = "/signed-out" },
            [CookieAuthenticationDefaults.AuthenticationScheme, OpenIdConnectDefaults.AuthenticationScheme]));
        app.MapGet("/signed-out", () => Html("<h1 id=\"app-signed-out\">Signed out of the app</h1>"));

        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        var relyingParty = new RelyingParty(app, new Uri(address + "/"), idTokens);

        // The redirect URIs exist only now that the port is known.
        await provider.RegisterClientAsync(ClientId, ClientSecret, relyingParty.BaseAddress);
        return relyingParty;
    }

    private static string ClaimsPage(ClaimsPrincipal user)
    {
        HtmlEncoder html = HtmlEncoder.Default;
        var page = new StringBuilder("<h1>Protected</h1>");
        page.Append("<p>Name: <span id=\"user-name\">").Append(html.Encode(user.Identity?.Name ?? string.Empty)).Append("</span></p>");
        page.Append("<p>Admin: <span id=\"is-admin\">").Append(user.IsInRole("admin") ? "yes" : "no").Append("</span></p><ul>");
        foreach (Claim claim in user.Claims)
        {
            page.Append("<li data-claim=\"").Append(html.Encode(claim.Type)).Append("\">")
                .Append(html.Encode(claim.Value)).Append("</li>");
        }

        return page.Append("</ul>").ToString();
    }

    private static IResult Html(string body) =>
        Results.Content($"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Relying party</title></head><body>{body}</body></html>", "text/html; charset=utf-8");

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>
/// How a test lets Microsoft.Identity.Web's AadIssuerValidator accept the Entra-shaped provider's issuer. The ASP.NET
/// Core 10 handler does not hand it the discovered issuer, so without one of these it downloads discovery again
/// through an HttpClient of its own, which refuses the self-signed certificate.
/// </summary>
public enum EntraIssuerTrust
{
    /// <summary><c>TokenValidationParameters.ValidIssuer</c> = the provider's issuer: no second download at all.</summary>
    ValidIssuer,

    /// <summary><c>AadIssuerValidatorOptions.HttpClientName</c> names an HttpClient over the pinned handler.</summary>
    PinnedHttpClient,
}
