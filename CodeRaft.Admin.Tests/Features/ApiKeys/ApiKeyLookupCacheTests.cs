using System.Net;
using CodeRaft.Admin.Features.ApiKeys;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CodeRaft.Admin.Tests.Features.ApiKeys;

/// <summary>The one-second lookup cache never outlives a change made in this process, and a change made elsewhere by at most its lifetime.</summary>
public sealed class ApiKeyLookupCacheTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly AdminAppFactory _factory = new();
    private readonly WebApplicationFactory<Program> _app;
    private readonly HttpClient _client;

    public ApiKeyLookupCacheTests()
    {
        _app = _factory.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(_time)));
        _client = _app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
    }

    public void Dispose()
    {
        _client.Dispose();
        _app.Dispose();
        _factory.Dispose();
    }

    private ApiKeyManagementCore Core => _app.Services.GetRequiredService<ApiKeyManagementCore>();

    private async Task<HttpStatusCode> WhoAmIAsync(string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/whoami");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
        using var response = await _client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Revoke_InThisProcessRightAfterUse_NextRequest401()
    {
        var key = (await Core.CreateAsync(UserOperator.HostCli, new ApiKeyInput { Name = "cached", Scopes = [ApiKeyScopes.AuditRead] })).Created!;
        Assert.Equal(HttpStatusCode.OK, await WhoAmIAsync(key.Key)); // now cached

        Assert.True((await Core.RevokeAsync(UserOperator.HostCli, key.Id)).Succeeded);

        Assert.Equal(HttpStatusCode.Unauthorized, await WhoAmIAsync(key.Key));
    }

    [Fact]
    public async Task Revoke_ByAnotherProcess_TakesEffectWithinTheLifetime()
    {
        var key = (await Core.CreateAsync(UserOperator.HostCli, new ApiKeyInput { Name = "cached", Scopes = [ApiKeyScopes.AuditRead] })).Created!;
        Assert.Equal(HttpStatusCode.OK, await WhoAmIAsync(key.Key));
        await using (var db = await _app.Services.GetRequiredService<IDbContextFactory<AdminDbContext>>().CreateDbContextAsync())
        {
            // A direct write, as the CLI or a second instance makes it: this process is not told.
            await db.ApiKeys.Where(k => k.Id == key.Id).ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, DateTime.UtcNow));
        }

        var withinLifetime = await WhoAmIAsync(key.Key);
        _time.Advance(ApiKeyLookupCache.Lifetime);

        Assert.Equal(HttpStatusCode.OK, withinLifetime); // the documented bound, not a wish
        Assert.Equal(HttpStatusCode.Unauthorized, await WhoAmIAsync(key.Key));
    }

    [Fact]
    public async Task Expiry_CachedRow_CheckedAgainstTheClockEveryRequest()
    {
        var key = (await Core.CreateAsync(UserOperator.HostCli, new ApiKeyInput { Name = "cached", Scopes = [ApiKeyScopes.AuditRead], ExpiresInDays = 1 })).Created!;
        Assert.Equal(HttpStatusCode.OK, await WhoAmIAsync(key.Key));

        _time.Advance(TimeSpan.FromDays(1));

        Assert.Equal(HttpStatusCode.Unauthorized, await WhoAmIAsync(key.Key));
    }

    [Fact]
    public async Task UnknownKeys_NeverCached()
    {
        var cache = _app.Services.GetRequiredService<ApiKeyLookupCache>();
        var unknown = ApiKeyFormat.Generate();

        Assert.Equal(HttpStatusCode.Unauthorized, await WhoAmIAsync(unknown));

        Assert.False(cache.TryGet(ApiKeyFormat.Hash(unknown), out _));
    }

    [Fact]
    public async Task AuditAppends_OtherThanKeyChanges_KeepTheCachedRow()
    {
        var key = (await Core.CreateAsync(UserOperator.HostCli, new ApiKeyInput { Name = "busy", Scopes = [ApiKeyScopes.AuditRead] })).Created!;
        Assert.Equal(HttpStatusCode.OK, await WhoAmIAsync(key.Key));
        var cache = _app.Services.GetRequiredService<ApiKeyLookupCache>();
        Assert.True(cache.TryGet(ApiKeyFormat.Hash(key.Key), out _));

        // Ingest, denials, sign-ins: every append used to empty the cache, so one busy product cost every key a query.
        await _app.Services.GetRequiredService<CodeRaft.Admin.Features.Audit.Chain.AuditWriter>().AppendAsync(
            new CodeRaft.Admin.Features.Audit.Chain.AuditEvent { Product = "ravenscan", Category = "scans", Action = "scan.completed" });

        Assert.True(cache.TryGet(ApiKeyFormat.Hash(key.Key), out _));
    }
}
