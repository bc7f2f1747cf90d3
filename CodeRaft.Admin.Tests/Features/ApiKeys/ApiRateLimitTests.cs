using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using CodeRaft.Admin.Features.ApiKeys;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.Throttling;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CodeRaft.Admin.Tests.Features.ApiKeys;

/// <summary>
/// The v1 API's rate limits through the real pipeline (TestServer, SQLite): per key at its own rate, per source
/// address for failed authentication, refusals as problem details with Retry-After and counted in the audit log.
/// The app runs on a fake clock, so no bucket refills while a test runs.
/// </summary>
public sealed class ApiRateLimitTests : IDisposable
{
    private const int FailuresPerMinute = 5;

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly AdminAppFactory _factory = new();
    private readonly WebApplicationFactory<Program> _app;
    private readonly HttpClient _client;

    public ApiRateLimitTests()
    {
        _app = _factory.WithWebHostBuilder(b => b
            .UseSetting("Security:Api:FailedAuthPerMinutePerAddress", FailuresPerMinute.ToString(CultureInfo.InvariantCulture))
            .ConfigureTestServices(s => s.AddSingleton<TimeProvider>(_time)));
        _client = _app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
    }

    public void Dispose()
    {
        _client.Dispose();
        _app.Dispose();
        _factory.Dispose();
    }

    private IDbContextFactory<AdminDbContext> Contexts => _app.Services.GetRequiredService<IDbContextFactory<AdminDbContext>>();

    private async Task<ApiKeyCreated> CreateKeyAsync(int perMinute, params string[] scopes) =>
        (await _app.Services.GetRequiredService<ApiKeyManagementCore>().CreateAsync(UserOperator.HostCli,
            new ApiKeyInput { Name = "limited", Scopes = scopes.Length == 0 ? [ApiKeyScopes.AuditRead] : scopes, RateLimitPerMinute = perMinute })).Created!;

    private async Task<HttpResponseMessage> GetAsync(string path, string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return await _client.SendAsync(request);
    }

    private static async Task AssertTooManyRequestsAsync(HttpResponseMessage response, int retryAfterSeconds)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(retryAfterSeconds.ToString(CultureInfo.InvariantCulture), Assert.Single(response.Headers.GetValues("Retry-After")));
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
    }

    private async Task<List<HttpStatusCode>> BurstAsync(int count, string authorization, string path = "/api/v1/whoami", int retryAfterSeconds = 60 / 5)
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < count; i++)
        {
            using var response = await GetAsync(path, authorization);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                await AssertTooManyRequestsAsync(response, retryAfterSeconds);
            }
        }

        return statuses;
    }

    [Fact]
    public async Task Burst_KeyLimitedToNPerMinute_ExactlyTheExcessRefusedWith429AndRetryAfter()
    {
        var key = await CreateKeyAsync(perMinute: 5);

        var statuses = await BurstAsync(5 + 4, "Bearer " + key.Key); // each 429 checked: problem details, Retry-After 12 s

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.OK, 5), .. Enumerable.Repeat(HttpStatusCode.TooManyRequests, 4)], statuses);
    }

    [Fact]
    public async Task Burst_WaitedForRetryAfter_OneMoreRequestAccepted()
    {
        var key = await CreateKeyAsync(perMinute: 5);
        await BurstAsync(6, "Bearer " + key.Key);

        _time.Advance(TimeSpan.FromSeconds(12));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.TooManyRequests], await BurstAsync(2, "Bearer " + key.Key));
    }

    [Fact]
    public async Task Burst_KeysAreLimitedSeparately()
    {
        var busy = await CreateKeyAsync(perMinute: 5);
        var other = await CreateKeyAsync(perMinute: 5);
        await BurstAsync(8, "Bearer " + busy.Key);

        using var response = await GetAsync("/api/v1/whoami", "Bearer " + other.Key);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task RateLowered_NextRequestsFollowTheNewRate()
    {
        var key = await CreateKeyAsync(perMinute: 100);
        Assert.Equal([HttpStatusCode.OK], await BurstAsync(1, "Bearer " + key.Key));
        await using (var db = await Contexts.CreateDbContextAsync())
        {
            // Unaudited, as another process would write it: this process sees it once its cached lookup has aged out.
            await db.ApiKeys.Where(k => k.Id == key.Id).ExecuteUpdateAsync(s => s.SetProperty(k => k.RateLimitPerMinute, 5));
        }

        _time.Advance(ApiKeyLookupCache.Lifetime); // the bucket is full again (a whole minute of credit)

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.OK, 5), HttpStatusCode.TooManyRequests], await BurstAsync(6, "Bearer " + key.Key));
    }

    [Fact]
    public async Task Forbidden_RequestsRefusedForTheirScope_StillCountAgainstTheKey()
    {
        var key = await CreateKeyAsync(perMinute: 5, ApiKeyScopes.AuditRead);

        var statuses = await BurstAsync(5, "Bearer " + key.Key, "/api/v1/users");
        using var afterwards = await GetAsync("/api/v1/whoami", "Bearer " + key.Key);

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Forbidden, s));
        await AssertTooManyRequestsAsync(afterwards, 12);
    }

    [Fact]
    public async Task RandomKeysFromOneAddress_AfterTheConfiguredFailures_429WithoutAnyDatabaseQuery()
    {
        var valid = await CreateKeyAsync(perMinute: 1000);
        using var counter = new ConnectionCounter(_factory.DataDirectory);

        for (var i = 0; i < FailuresPerMinute; i++)
        {
            using var refused = await GetAsync("/api/v1/whoami", "Bearer " + ApiKeyFormat.Generate());
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        Assert.True(counter.Count >= FailuresPerMinute, "each well-formed unknown key was looked up"); // the counter works
        counter.Reset();
        string?[] attempts = ["Bearer " + ApiKeyFormat.Generate(), "Bearer " + ApiKeyFormat.Generate(), "Bearer crk_tooshort", null, "Basic dXNlcjpwYXNz",
            "Bearer " + valid.Key]; // while the address is blocked, its valid keys wait too (docs/api.md)
        foreach (var authorization in attempts.Concat(Enumerable.Range(0, 20).Select(_ => "Bearer " + ApiKeyFormat.Generate())))
        {
            using var blocked = await GetAsync("/api/v1/users", authorization);
            await AssertTooManyRequestsAsync(blocked, 60 / FailuresPerMinute);
        }

        Assert.Equal(0, counter.Count);
    }

    [Fact]
    public async Task AddressBlocked_AfterRetryAfter_OneMoreAttemptThenBlockedAgain()
    {
        for (var i = 0; i < FailuresPerMinute; i++)
        {
            using var refused = await GetAsync("/api/v1/whoami", null);
        }

        _time.Advance(TimeSpan.FromSeconds(60 / FailuresPerMinute));
        using var retried = await GetAsync("/api/v1/whoami", "Bearer " + ApiKeyFormat.Generate());
        using var again = await GetAsync("/api/v1/whoami", "Bearer " + ApiKeyFormat.Generate());
        using var health = await GetAsync("/healthz", null); // only /api is behind this brake

        Assert.Equal(HttpStatusCode.Unauthorized, retried.StatusCode);
        await AssertTooManyRequestsAsync(again, 60 / FailuresPerMinute);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task Audit_KeyAndAddressRefusals_OneEntryEachPerMinuteWithTheCount()
    {
        var key = await CreateKeyAsync(perMinute: 5);
        await BurstAsync(5 + 3, "Bearer " + key.Key);
        for (var i = 0; i < FailuresPerMinute + 7; i++)
        {
            using var response = await GetAsync("/api/v1/whoami", "Bearer " + ApiKeyFormat.Generate());
        }

        _time.Advance(DenialAggregator.Window);
        await _app.Services.GetRequiredService<DenialAggregator>().FlushAsync();

        await using var db = await Contexts.CreateDbContextAsync();
        var perKey = await db.AuditEntries.SingleAsync(e => e.Action == ApiRateLimits.KeyRateLimitedAction);
        Assert.Equal(("api", "denied", "apikey", key.Identifier, "apikey", key.Identifier), (perKey.Category, perKey.Outcome, perKey.ActorType, perKey.ActorId, perKey.TargetType, perKey.TargetId));
        Assert.Equal(3, JsonDocument.Parse(perKey.Details).RootElement.GetProperty("count").GetInt64());
        Assert.DoesNotContain(key.Key, perKey.Details, StringComparison.Ordinal);
        var perAddress = await db.AuditEntries.SingleAsync(e => e.Action == ApiRateLimits.AddressRateLimitedAction);
        Assert.Equal(("api", "denied", "anonymous"), (perAddress.Category, perAddress.Outcome, perAddress.ActorType));
        Assert.Equal(7, JsonDocument.Parse(perAddress.Details).RootElement.GetProperty("count").GetInt64());
    }

    [Fact]
    public async Task FailuresFromManyAddresses_EachAddressHasItsOwnBucket()
    {
        var limiter = _app.Services.GetRequiredService<ApiRateLimiter>();

        // TestServer has no remote address of its own: set one per request, as a scan from many hosts would.
        for (var i = 0; i < 3 * FailuresPerMinute; i++)
        {
            var address = IPAddress.Parse($"10.1.0.{i + 1}");
            var context = await _app.Server.SendAsync(c =>
            {
                c.Request.Path = "/api/v1/whoami";
                c.Connection.RemoteIpAddress = address;
            });
            Assert.Equal(StatusCodes.Status401Unauthorized, context.Response.StatusCode);
        }

        Assert.Equal(3 * FailuresPerMinute, limiter.TrackedAddresses); // bounded by TokenBuckets (TokenBucketsTests)
    }
}
