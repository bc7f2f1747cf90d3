using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Web;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CodeRaft.Admin.TestIdentityProvider.Tests;

/// <summary>
/// What Microsoft.Identity.Web 4.18 does to the OpenID Connect options, checked without a network: the reasons the
/// EntraId mode needs the Entra-shaped provider and explicit settings. If an upgrade changes one of these, the
/// portal's EntraId configuration (readme.md, "EntraId mode") needs another look.
/// </summary>
public sealed class MicrosoftIdentityWebConstraintTests
{
    private const string TenantId = "11111111-2222-3333-4444-555555555555";

    [Fact]
    public void AddMicrosoftIdentityWebApp_HttpInstanceWithRequireHttpsMetadataFalse_StillDemandsHttps()
    {
        using ServiceProvider services = BuildServices("http://127.0.0.1:5555/", ("RequireHttpsMetadata", "false"));

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => OpenIdConnectOptionsOf(services));
        Assert.Contains("must use HTTPS", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddMicrosoftIdentityWebApp_Defaults_AreV2AuthorityImplicitFlowAndMappedClaims()
    {
        using ServiceProvider services = BuildServices("https://localhost:5555/");

        OpenIdConnectOptions options = OpenIdConnectOptionsOf(services);

        Assert.Equal($"https://localhost:5555/{TenantId}/v2.0", options.Authority);
        Assert.True(options.RequireHttpsMetadata);
        Assert.Equal("id_token", options.ResponseType); // the portal must ask for "code"
        Assert.True(options.MapInboundClaims); // the portal must turn this off to keep "roles", "tid", "oid"
        Assert.Equal("preferred_username", options.TokenValidationParameters.NameClaimType);
        Assert.Equal(typeof(Microsoft.IdentityModel.Validators.AadIssuerValidator), options.TokenValidationParameters.IssuerValidator?.Method.DeclaringType);
    }

    [Fact]
    public void AddMicrosoftIdentityWebApp_CodeFlowSettingsFromAzureAdSection_AreApplied()
    {
        using ServiceProvider services = BuildServices(
            "https://localhost:5555/", ("ResponseType", "code"), ("MapInboundClaims", "false"), ("SaveTokens", "false"));

        OpenIdConnectOptions options = OpenIdConnectOptionsOf(services);

        Assert.Equal("code", options.ResponseType);
        Assert.True(options.UsePkce);
        Assert.False(options.MapInboundClaims);
        Assert.False(options.SaveTokens);
    }

    [Fact]
    public void AadIssuerValidator_TokenWithoutTenant_IsRejected()
    {
        using ServiceProvider services = BuildServices("https://localhost:5555/");
        TokenValidationParameters parameters = OpenIdConnectOptionsOf(services).TokenValidationParameters;
        const string genericIssuer = "https://localhost:5555/";

        SecurityTokenInvalidIssuerException error = Assert.Throws<SecurityTokenInvalidIssuerException>(
            () => parameters.IssuerValidator(genericIssuer, UnsignedToken(genericIssuer, tenantId: null), parameters));
        Assert.Contains("IDX40003", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AadIssuerValidator_TenantClaimAndTemplatedValidIssuer_AcceptsAnyHost()
    {
        using ServiceProvider services = BuildServices("https://localhost:5555/");
        TokenValidationParameters parameters = OpenIdConnectOptionsOf(services).TokenValidationParameters.Clone();
        parameters.ValidIssuer = "https://localhost:5555/{tenantid}/v2.0";
        string issuer = $"https://localhost:5555/{TenantId}/v2.0";

        Assert.Equal(issuer, parameters.IssuerValidator(issuer, UnsignedToken(issuer, TenantId), parameters));
    }

    private static ServiceProvider BuildServices(string instance, params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["AzureAd:Instance"] = instance,
            ["AzureAd:TenantId"] = TenantId,
            ["AzureAd:ClientId"] = RelyingParty.ClientId,
            ["AzureAd:ClientSecret"] = RelyingParty.ClientSecret,
        };
        foreach ((string key, string value) in extra)
        {
            settings[$"AzureAd:{key}"] = value;
        }

        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(configuration); // Microsoft.Identity.Web reads its log level from IConfiguration
        services.AddAuthentication(OpenIdConnectDefaults.AuthenticationScheme)
            .AddMicrosoftIdentityWebApp(configuration.GetSection("AzureAd"));
        return services.BuildServiceProvider();
    }

    private static OpenIdConnectOptions OpenIdConnectOptionsOf(ServiceProvider services) =>
        services.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get(OpenIdConnectDefaults.AuthenticationScheme);

    private static JsonWebToken UnsignedToken(string issuer, string? tenantId)
    {
        var claims = new Dictionary<string, object> { ["sub"] = "alice" };
        if (tenantId is not null)
        {
            claims["tid"] = tenantId;
        }

        return new JsonWebToken(new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor { Issuer = issuer, Claims = claims }));
    }
}
