using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using CodeRaft.Admin.Features.ApiKeys;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.Authentication;
using CodeRaft.Admin.Security.Authorization;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRaft.Admin.Tests.Features.ApiKeys;

/// <summary>The <c>ApiKey</c> scheme end to end: 200/401/403 as problem details, no query for a malformed key, no console access.</summary>
public sealed class ApiKeyAuthenticationTests : IClassFixture<AdminAppFactory>
{
    private readonly AdminAppFactory _factory;
    private readonly HttpClient _client;

    public ApiKeyAuthenticationTests(AdminAppFactory factory)
    {
        _factory = factory;
        _client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
    }

    private ApiKeyManagementCore Core => _factory.Services.GetRequiredService<ApiKeyManagementCore>();

    private async Task<ApiKeyCreated> CreateKeyAsync(params string[] scopes) =>
        (await Core.CreateAsync(UserOperator.HostCli, new ApiKeyInput { Name = "test", Scopes = scopes })).Created!;

    private async Task<HttpResponseMessage> GetAsync(string path, string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return await _client.SendAsync(request);
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    [Fact]
    public async Task WhoAmI_ValidKey_200WithIdentifierAndScopes()
    {
        var key = await CreateKeyAsync(ApiKeyScopes.AuditRead, ApiKeyScopes.UsersRead);

        using var response = await GetAsync("/api/v1/whoami", "Bearer " + key.Key);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(key.Identifier, body.GetProperty("identifier").GetString());
        Assert.Equal(["audit:read", "users:read"], body.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer ")]
    [InlineData("Bearer crk_00000000000000000000000000000000000000000002CZclk")] // checksum off by one
    [InlineData("Bearer crk_tooshort")]
    public async Task WhoAmI_MissingOrMalformedKey_401ProblemDetails(string? authorization)
    {
        using var response = await GetAsync("/api/v1/whoami", authorization);

        await ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhoAmI_OneCharacterChanged_401OnTheChecksumWithoutAnyDatabaseQuery()
    {
        var key = (await CreateKeyAsync(ApiKeyScopes.AuditRead)).Key;
        var changed = key[..20] + (key[20] == 'A' ? 'B' : 'A') + key[21..];
        using var counter = new ConnectionCounter(_factory.DataDirectory);

        using var refused = await GetAsync("/api/v1/whoami", "Bearer " + changed);
        var connectionsForRefused = counter.Count;
        using var accepted = await GetAsync("/api/v1/whoami", "Bearer " + key);

        var problem = await ProblemAsync(refused, HttpStatusCode.Unauthorized);
        Assert.Contains("checksum", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, connectionsForRefused);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.True(counter.Count > 0, "the counter saw no connection for a valid key either"); // the counter works
    }

    [Fact]
    public async Task WhoAmI_WellFormedUnknownKey_401()
    {
        using var response = await GetAsync("/api/v1/whoami", "Bearer " + ApiKeyFormat.Generate());

        var problem = await ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("The API key is not valid.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task WhoAmI_RevokedKey_401()
    {
        var key = await CreateKeyAsync(ApiKeyScopes.AuditRead);
        Assert.True((await Core.RevokeAsync(UserOperator.HostCli, key.Id)).Succeeded);

        using var response = await GetAsync("/api/v1/whoami", "Bearer " + key.Key);

        var problem = await ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("The API key has been revoked.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task WhoAmI_ExpiredKey_401()
    {
        var key = await CreateKeyAsync(ApiKeyScopes.AuditRead);
        await using (var db = await _factory.Services.GetRequiredService<IDbContextFactory<AdminDbContext>>().CreateDbContextAsync())
        {
            await db.ApiKeys.Where(k => k.Id == key.Id).ExecuteUpdateAsync(s => s.SetProperty(k => k.ExpiresAt, DateTime.UtcNow.AddSeconds(-1)));
        }

        using var response = await GetAsync("/api/v1/whoami", "Bearer " + key.Key);

        var problem = await ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("The API key has expired.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Users_KeyWithoutUsersRead_403ProblemDetails()
    {
        var key = await CreateKeyAsync(ApiKeyScopes.AuditRead, ApiKeyScopes.AuditWrite, ApiKeyScopes.LicensesRead);

        using var response = await GetAsync("/api/v1/users", "Bearer " + key.Key);

        await ProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Users_KeyWithUsersRead_200ProjectionWithoutSecrets()
    {
        await using (var db = await _factory.Services.GetRequiredService<IDbContextFactory<AdminDbContext>>().CreateDbContextAsync())
        {
            var reader = AdminUser.Create("api-reader@example.test", "api-reader@example.test", "Api Reader", AdminRole.Auditor, AdminUserStatus.Active, DateTime.UtcNow);
            reader.PasswordHash = "not-to-be-shown";
            db.Users.Add(reader);
            await db.SaveChangesAsync();
        }

        var key = await CreateKeyAsync(ApiKeyScopes.UsersRead);

        using var response = await GetAsync("/api/v1/users", "Bearer " + key.Key);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        var user = JsonDocument.Parse(text).RootElement.EnumerateArray().Single(u => u.GetProperty("email").GetString() == "api-reader@example.test");
        Assert.Equal(["id", "email", "displayName", "role", "status"], user.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("Api Reader", "Auditor", "Active"), (user.GetProperty("displayName").GetString(), user.GetProperty("role").GetString(), user.GetProperty("status").GetString()));
        Assert.DoesNotContain("not-to-be-shown", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LastUse_ManyRequestsWithinAMinute_WrittenOnce()
    {
        var key = await CreateKeyAsync(ApiKeyScopes.AuditRead);
        var contexts = _factory.Services.GetRequiredService<IDbContextFactory<AdminDbContext>>();

        using (var first = await GetAsync("/api/v1/whoami", "Bearer " + key.Key))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        DateTime? firstUse;
        await using (var db = await contexts.CreateDbContextAsync())
        {
            firstUse = (await db.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == key.Id)).LastUsedAt;
        }

        Assert.NotNull(firstUse);
        for (var i = 0; i < 5; i++)
        {
            using var again = await GetAsync("/api/v1/whoami", "Bearer " + key.Key);
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        // Time moves on between the requests: had any of them written, the value would differ.
        await using (var db = await contexts.CreateDbContextAsync())
        {
            Assert.Equal(firstUse, (await db.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == key.Id)).LastUsedAt);
        }
    }

    [Theory]
    [InlineData("/api/v1/nothing-here", null)]
    [InlineData("/api/v2/whoami", "Bearer crk_00000000000000000000000000000000000000000002CZclj")]
    public async Task UnknownApiAddress_404ProblemDetailsNotASignInRedirect(string path, string? authorization)
    {
        using var response = await GetAsync(path, authorization);

        var problem = await ProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Equal("There is no API endpoint at this address.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task ConsolePage_WithValidApiKey_StillSentToSignIn()
    {
        var key = await CreateKeyAsync(ApiKeyScopes.AuditRead, ApiKeyScopes.AuditWrite, ApiKeyScopes.LicensesRead, ApiKeyScopes.UsersRead);

        foreach (var path in new[] { "/", "/users", "/audit", "/api-keys" })
        {
            using var response = await GetAsync(path, "Bearer " + key.Key);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Contains("/account/signin", response.Headers.Location?.OriginalString, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Schemes_CookieStaysDefault_ApiKeyRegistered()
    {
        var schemes = _factory.Services.GetRequiredService<IAuthenticationSchemeProvider>();

        Assert.Equal(CodeRaft.Admin.Security.Authentication.AuthenticationFeature.Scheme, (await schemes.GetDefaultAuthenticateSchemeAsync())?.Name);
        Assert.Equal(CodeRaft.Admin.Security.Authentication.AuthenticationFeature.Scheme, (await schemes.GetDefaultChallengeSchemeAsync())?.Name);
        Assert.NotNull(await schemes.GetSchemeAsync(ApiKeyAuthenticationHandler.SchemeName));
    }

    [Fact]
    public async Task Policies_ApiKeyPrincipalWithEveryScope_SatisfiesNoConsolePolicy()
    {
        var authorization = _factory.Services.GetRequiredService<IAuthorizationService>();
        var policies = _factory.Services.GetRequiredService<IAuthorizationPolicyProvider>();
        var principal = ApiKeyAuthenticationHandler.CreatePrincipal(Guid.NewGuid(), "crk_00000000", ApiKeyScopes.All);
        string[] console = [AdminClaims.FullySignedInPolicy, .. AdminPolicies.All.Keys];

        foreach (var name in console)
        {
            var policy = await policies.GetPolicyAsync(name);
            Assert.NotNull(policy);
            Assert.False((await authorization.AuthorizeAsync(principal, policy)).Succeeded, name);
        }

        Assert.False((await authorization.AuthorizeAsync(principal, (await policies.GetFallbackPolicyAsync())!)).Succeeded);
        foreach (var name in ApiPolicies.ScopeOf.Keys.Append(ApiPolicies.AnyKey))
        {
            Assert.True((await authorization.AuthorizeAsync(principal, name)).Succeeded, name);
        }
    }

    [Fact]
    public async Task Policies_EachScopePolicy_NeedsItsOwnScope()
    {
        var authorization = _factory.Services.GetRequiredService<IAuthorizationService>();
        foreach (var (policy, scope) in ApiPolicies.ScopeOf)
        {
            var others = ApiKeyScopes.All.Where(s => s != scope);
            Assert.False((await authorization.AuthorizeAsync(ApiKeyAuthenticationHandler.CreatePrincipal(Guid.NewGuid(), "crk_00000000", others), policy)).Succeeded, policy);
            Assert.True((await authorization.AuthorizeAsync(ApiKeyAuthenticationHandler.CreatePrincipal(Guid.NewGuid(), "crk_00000000", [scope]), policy)).Succeeded, policy);
        }
    }
}

/// <summary>A console session (here: a fully signed-in Owner) cannot call the API: its policies accept only the ApiKey scheme.</summary>
public sealed class ApiKeyConsoleSessionTests(SignedInAdminAppFactory factory) : IClassFixture<SignedInAdminAppFactory>
{
    [Theory]
    [InlineData("/api/v1/whoami")]
    [InlineData("/api/v1/users")]
    public async Task Api_SignedInConsoleSessionWithoutKey_401(string path)
    {
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
